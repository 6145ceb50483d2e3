package io.lossmonitor.topology;

import io.lossmonitor.events.PayloadTimestamps;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.WireFormat;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time from the payload's {@code timestamp}, not the record's: the prediction time for predictions, the
 * labelling time for labels. It reads only the leading fields (a few nanoseconds). A schema id not seen yet is asked
 * of the registry once, without retries (the intake processor fetches it for the same record a moment later
 * anyway); while the registry does not answer, it is not asked again for {@link #REGISTRY_RETRY}.
 *
 * <p>A record whose payload time cannot be read (its schema cannot be had now, or it is not a readable record), or
 * is out of range (before 2000, or more than the allowed clock skew ahead of the record's time), keeps its
 * partition's time, and only a partition's first record its own record time: the record time is the producer's
 * wall clock, and one such record among events of days ago would move stream time to now and expire every pending
 * prediction. The intake re-stamps accepted records with the payload time and dead-letters the rest (its skew check
 * measures from the later of the extracted time and its own clock), so downstream event time is the payload's
 * either way.
 */
public final class PayloadTimestampExtractor implements TimestampExtractor {

    private final RegistryClient registry;
    private final boolean predictions;
    private final long maxSkewMs;
    private final ConcurrentHashMap<Integer, Integer> stringsBeforeTimestamp = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    /** Wall-clock time before which the registry is not asked again, after it did not answer. */
    private volatile long registryRetryAtMs;

    static final Duration REGISTRY_RETRY = Duration.ofSeconds(30);

    public PayloadTimestampExtractor(RegistryClient registry, boolean predictions, long maxSkewMs) {
        this(registry, predictions, maxSkewMs, System::currentTimeMillis);
    }

    PayloadTimestampExtractor(RegistryClient registry, boolean predictions, long maxSkewMs, LongSupplier clock) {
        this.registry = registry;
        this.predictions = predictions;
        this.maxSkewMs = maxSkewMs;
        this.clock = clock;
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long fallback = partitionTime >= 0 ? partitionTime : Math.max(record.timestamp(), 0);
        if (!(record.value() instanceof byte[] payload)) {
            return fallback;
        }
        try {
            int id = WireFormat.schemaId(payload);
            Integer strings = stringsBeforeTimestamp.get(id);
            if (strings == null) {
                Schema writer = registry.cachedSchemaById(id);
                if (writer == null) {
                    writer = fetch(id);
                }
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

    private Schema fetch(int id) {
        long now = clock.getAsLong();
        if (now < registryRetryAtMs) {
            return null;
        }
        Schema schema = registry.schemaByIdOnce(id);
        if (schema == null) {
            registryRetryAtMs = now + REGISTRY_RETRY.toMillis();
        }
        return schema;
    }
}
