package io.lossmonitor.topology;

import io.lossmonitor.events.PayloadTimestamps;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.WireFormat;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time from the payload's {@code timestamp}, not the record's: the prediction time for predictions, the
 * labelling time for labels. It reads only the leading fields (a few nanoseconds) and never calls the registry:
 * until the intake processor has fetched a schema id once, that id's records keep the record time, and the intake
 * re-stamps them with the payload time, so downstream event time is the payload's either way.
 *
 * <p>A payload time before 2000 or more than the allowed clock skew ahead of the record's time is not used (it
 * would drag stream time and expire everything); the intake processor dead-letters such a record.
 */
public final class PayloadTimestampExtractor implements TimestampExtractor {

    private final RegistryClient registry;
    private final boolean predictions;
    private final long maxSkewMs;
    private final ConcurrentHashMap<Integer, Integer> stringsBeforeTimestamp = new ConcurrentHashMap<>();

    public PayloadTimestampExtractor(RegistryClient registry, boolean predictions, long maxSkewMs) {
        this.registry = registry;
        this.predictions = predictions;
        this.maxSkewMs = maxSkewMs;
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long fallback = record.timestamp() >= 0 ? record.timestamp() : Math.max(partitionTime, 0);
        if (!(record.value() instanceof byte[] payload)) {
            return fallback;
        }
        try {
            int id = WireFormat.schemaId(payload);
            Integer strings = stringsBeforeTimestamp.get(id);
            if (strings == null) {
                Schema writer = registry.cachedSchemaById(id);
                if (writer == null) {
                    return fallback;
                }
                strings = PayloadTimestamps.stringsBeforeTimestamp(writer, predictions);
                stringsBeforeTimestamp.put(id, strings);
            }
            if (strings < 0) {
                return fallback;
            }
            long ts = PayloadTimestamps.read(payload, WireFormat.HEADER_SIZE, strings);
            return ts >= PayloadTimestamps.MIN_VALID_MS && ts <= record.timestamp() + maxSkewMs ? ts : fallback;
        } catch (Exception e) {
            return fallback;
        }
    }
}
