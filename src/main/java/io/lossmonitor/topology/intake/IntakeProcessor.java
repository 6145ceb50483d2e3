package io.lossmonitor.topology.intake;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.PayloadTimestamps;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryException;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.DeadLetters;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinInput;
import io.lossmonitor.topology.join.JoinKeys;
import io.lossmonitor.topology.score.ModelRules;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes and validates one raw input record. A valid one goes on keyed by (model, prediction id) with its payload
 * timestamp as the record time, to {@value Names#MERGE_INTAKE}; anything else becomes a dead letter carrying the
 * original key and value, with the reason, the model if known, and the source topic, partition and offset in headers,
 * to {@value Names#MERGE_DEAD_LETTERS}. (Each kind to its own child, by name: a branch node after the intake would
 * cost every record one more processor node, and each node is a measurable part of a record's cost.) Every record
 * is counted.
 *
 * <p>A registry that cannot be reached is not the record's fault, and must not hold up records whose schema is
 * already known. A record whose schema cannot be fetched is therefore set aside whole in the changelogged
 * {@value Names#AWAITING_SCHEMA_STORE} store (counted as {@code awaiting_schema}) and the stream goes on; a
 * wall-clock punctuator retries the set-aside records in the order they were read, with exponential backoff from
 * {@link #FIRST_RETRY} to {@link #MAX_RETRY}, and processes them exactly as if they had just arrived once the
 * registry answers. While the registry is known to be down, further records with unknown schemas are set aside
 * without calling it, so an outage costs the stream thread one failed call per backoff period, not one per record.
 * A set-aside record reaches the windows late: if the outage outlasts a window's grace its contribution is dropped
 * by the window (Kafka Streams' dropped-records metric), never by the intake.
 */
abstract class IntakeProcessor<T> implements Processor<byte[], byte[], String, Intake> {

    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY = Duration.ofSeconds(60);
    /** At most this many set-aside records per punctuation, so a backlog cannot hold the thread past the poll interval. */
    static final int MAX_RETRIED_PER_PUNCTUATION = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(IntakeProcessor.class);

    private final String stream;
    private final String topic;
    private final AvroDeserializer<T> deserializer;
    private final long maxSkewMs;
    private final long maxInputBytes;
    private final InputRouting routing;
    final ModelRules rules;
    private ProcessorContext<String, Intake> context;
    private TimestampedKeyValueStore<String, byte[]> specs;
    private Accounting accounting;
    private KeyValueStore<Bytes, byte[]> awaiting;
    /** Wall-clock time before which the registry is not called again; 0 while it is believed up. */
    private long registryRetryAtMs;
    private long backoffMs = FIRST_RETRY.toMillis();

    IntakeProcessor(String stream, String topic, AvroDeserializer<T> deserializer, ModelRules rules,
                    TopologyConfig config) {
        this.stream = stream;
        this.topic = topic;
        this.deserializer = deserializer;
        this.maxSkewMs = config.maxClockSkew().toMillis();
        this.maxInputBytes = config.maxInputBytes();
        this.routing = config.inputRouting();
        this.rules = rules;
    }

    @Override
    public void init(ProcessorContext<String, Intake> context) {
        this.context = context;
        this.specs = context.getStateStore(Names.MODEL_SPECS_STORE);
        this.accounting = new Accounting(context.getStateStore(Names.INTAKE_ACCOUNTING_STORE));
        this.awaiting = context.getStateStore(Names.AWAITING_SCHEMA_STORE);
        // Also picks up, after a restart, whatever was set aside before it.
        context.schedule(FIRST_RETRY, PunctuationType.WALL_CLOCK_TIME, this::retryAwaiting);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Source source = Source.of(context.recordMetadata());
        if (tooLarge(record, source)) {
            return;
        }
        if (registryDown() && !deserializer.knowsSchemaOf(record.value()) || !handle(record, source)) {
            // Keyed under the configured topic, the range the retry punctuator scans, whatever the metadata says.
            awaiting.put(AwaitingSchema.key(new Source(topic, source.partition(), source.offset())),
                    AwaitingSchema.value(record));
            accounting.increment(stream, Accounting.UNKNOWN_MODEL, Accounting.AWAITING_SCHEMA);
        }
    }

    /**
     * Dead-letters a record (key, value and headers) larger than {@link TopologyConfig#maxInputBytes()}, before it is
     * decoded or set aside, and without its key and value: with its headers it could exceed the dead-letter topic's
     * message size limit, and a failed send would stop the stream thread. The headers say where it is.
     */
    private boolean tooLarge(Record<byte[], byte[]> record, Source source) {
        long size = (record.value() == null ? 0L : record.value().length)
                + (record.key() == null ? 0L : record.key().length);
        // Headers travel on with an accepted record.
        for (Header header : record.headers()) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        if (size <= maxInputBytes) {
            return false;
        }
        accounting.increment(stream, Accounting.UNKNOWN_MODEL, Accounting.INVALID);
        context.forward(new Record<>("", (Intake) new Intake.DeadLetter(null, null), Math.max(0, record.timestamp()),
                DeadLetters.headers(InvalidEventException.RECORD_TOO_LARGE, "record is " + size + " bytes, more than the"
                        + " limit of " + maxInputBytes + " (16 bytes per score of max-scores plus 32 KiB); its key and"
                        + " value are left out of this dead letter and stay at the source offset", null,
                        source.topic(), source.partition(), source.offset())), Names.MERGE_DEAD_LETTERS);
        return true;
    }

    /** Retries the records set aside for the registry, oldest first, until one still cannot be decoded. */
    private void retryAwaiting(long now) {
        if (now < registryRetryAtMs) {
            return;
        }
        Bytes[] range = AwaitingSchema.range(topic);
        List<Bytes> done = new ArrayList<>();
        boolean registryUp = true;
        try (KeyValueIterator<Bytes, byte[]> it = awaiting.range(range[0], range[1])) {
            while (it.hasNext() && done.size() < MAX_RETRIED_PER_PUNCTUATION) {
                KeyValue<Bytes, byte[]> entry = it.next();
                if (!handle(AwaitingSchema.record(entry.value), AwaitingSchema.source(entry.key))) {
                    registryUp = false;
                    break;
                }
                done.add(entry.key);
            }
        }
        for (Bytes key : done) {
            awaiting.delete(key);
        }
        if (!done.isEmpty()) {
            accounting.add(stream, Accounting.UNKNOWN_MODEL, Accounting.AWAITING_SCHEMA, -done.size());
        }
        if (registryUp) {
            registryRetryAtMs = 0;
            backoffMs = FIRST_RETRY.toMillis();
        }
    }

    /**
     * Decodes, validates and forwards one record, or dead-letters it.
     *
     * @return false when the record's schema could not be fetched because the registry is unreachable (nothing was
     *     forwarded or counted; the caller keeps the record for a retry)
     */
    private boolean handle(Record<byte[], byte[]> record, Source source) {
        if (record.value() == null) {
            deadLetter(record, source, InvalidEventException.NULL_VALUE, "record has no value", null);
            return true;
        }
        T event;
        try {
            event = deserializer.deserialize(source.topic(), record.value());
        } catch (RegistryException e) {
            if (e.isRetriable()) {
                backOff(source.topic(), e);
                return false;
            }
            deadLetter(record, source, InvalidEventException.UNDESERIALIZABLE, e.getMessage(), null);
            return true;
        } catch (RuntimeException e) {
            deadLetter(record, source, InvalidEventException.UNDESERIALIZABLE, e.getMessage(), null);
            return true;
        }
        long payloadTime = timestamp(event);
        String model = modelId(event);
        // The extractor used the payload time unless it could not read it or found it out of range; record.timestamp()
        // is then the partition's time, which in a backfill lies days back: the future begins at the later of it and
        // this service's clock.
        long latest = Math.max(record.timestamp(), context.currentSystemTimeMs());
        if (payloadTime < PayloadTimestamps.MIN_VALID_MS || payloadTime > latest + maxSkewMs) {
            deadLetter(record, source, InvalidEventException.TIMESTAMP_OUT_OF_RANGE, "event timestamp " + payloadTime
                    + " is before 2000 or more than " + maxSkewMs + " ms in the future (record time "
                    + record.timestamp() + ", clock " + context.currentSystemTimeMs() + ")", model);
            return true;
        }
        try {
            validate(event);
        } catch (RegistryException e) {
            // The model's spec on the models topic has a schema not fetched yet: the record waits for it.
            if (!registryDown()) {
                backOff("the spec of model '" + model + "'", e);
            }
            return false;
        } catch (InvalidEventException e) {
            deadLetter(record, source, e.reason(), e.getMessage(), model);
            return true;
        }
        String predictionId = predictionId(event);
        boolean home = routing.isHome(predictionId, source.partition());
        if (!home && routing.mode() == InputRouting.Mode.KEYED) {
            deadLetter(record, source, InvalidEventException.WRONG_PARTITION, "record is in partition "
                    + source.partition() + " of " + source.topic() + " but its prediction id belongs to partition "
                    + InputRouting.partitionOf(predictionId, routing.partitions()) + " of " + routing.partitions()
                    + ": with inputs keyed by prediction id, every prediction and label must be keyed by its"
                    + " prediction id and placed by Kafka's default partitioner", model);
            return true;
        }
        context.forward(new Record<>(JoinKeys.of(model, predictionId),
                (Intake) new Intake.Accepted(input(event, record, source), home), payloadTime, record.headers()),
                Names.MERGE_INTAKE);
        return true;
    }

    /**
     * The model's effective spec (see {@link ModelRules#spec}).
     *
     * @throws RegistryException when reading the model's spec needs the registry and it is down or unreachable
     */
    final ModelSpec spec(String model) {
        ValueAndTimestamp<byte[]> fromTopic = specs.get(model == null ? "" : model);
        byte[] bytes = fromTopic == null ? null : fromTopic.value();
        if (registryDown() && !rules.canRead(model, bytes)) {
            throw new RegistryException(RegistryException.UNREACHABLE, "the schema registry is down", null);
        }
        return rules.spec(model, bytes);
    }

    private boolean registryDown() {
        return context.currentSystemTimeMs() < registryRetryAtMs;
    }

    /** Calls the registry again only after the next backoff period. */
    private void backOff(String decoding, RegistryException e) {
        long now = context.currentSystemTimeMs();
        registryRetryAtMs = now + backoffMs;
        backoffMs = Math.min(backoffMs * 2, MAX_RETRY.toMillis());
        LOG.warn("schema registry unreachable while decoding {}; records with unknown schemas wait for it"
                + " (next try in {} ms): {}", decoding, registryRetryAtMs - now, e.getMessage());
    }

    private void deadLetter(Record<byte[], byte[]> record, Source source, String reason, String message, String model) {
        accounting.increment(stream, model == null ? Accounting.UNKNOWN_MODEL : model, Accounting.INVALID);
        context.forward(new Record<>("", (Intake) new Intake.DeadLetter(record.key(), record.value()),
                Math.max(0, record.timestamp()),
                DeadLetters.headers(reason, message, model, source.topic(), source.partition(), source.offset())),
                Names.MERGE_DEAD_LETTERS);
    }

    abstract long timestamp(T event);

    abstract String modelId(T event);

    abstract String predictionId(T event);

    /**
     * @throws InvalidEventException when the event cannot be scored
     * @throws RegistryException when its model's spec is needed and cannot be read for want of the registry
     */
    abstract void validate(T event);

    abstract JoinInput input(T event, Record<byte[], byte[]> record, Source source);
}
