package io.lossmonitor.topology.intake;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.PayloadTimestamps;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryException;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.DeadLetters;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinInput;
import io.lossmonitor.topology.join.JoinKeys;
import io.lossmonitor.topology.score.ModelRules;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Decodes and validates one raw input record. A valid one goes on keyed by (model, prediction id) with its payload
 * timestamp as the record time; anything else becomes a dead letter carrying the original key and value, with the
 * reason, the model if known, and the source topic, partition and offset in headers. Every record is counted.
 *
 * <p>A registry that cannot be reached is not the record's fault: the processor throws Kafka's
 * {@link TimeoutException}, meant to have Kafka Streams retry it (up to {@code task.timeout.ms}). The processing
 * exception handler sees the exception first and dead-letters the record: a known gap (issue #9).
 */
abstract class IntakeProcessor<T> implements Processor<byte[], byte[], String, Intake> {

    private final String stream;
    private final AvroDeserializer<T> deserializer;
    private final long maxSkewMs;
    final ModelRules rules;
    private ProcessorContext<String, Intake> context;
    private TimestampedKeyValueStore<String, ModelSpec> specs;
    private Accounting accounting;

    IntakeProcessor(String stream, AvroDeserializer<T> deserializer, TopologyConfig config) {
        this.stream = stream;
        this.deserializer = deserializer;
        this.maxSkewMs = config.maxClockSkew().toMillis();
        this.rules = new ModelRules(config.modelSpecs(), config.maxLabelDelay().toMillis(), config.maxScores());
    }

    @Override
    public void init(ProcessorContext<String, Intake> context) {
        this.context = context;
        this.specs = context.getStateStore(Names.MODEL_SPECS_STORE);
        this.accounting = new Accounting(context.getStateStore(Names.INTAKE_ACCOUNTING_STORE));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(null);
        if (record.value() == null) {
            deadLetter(record, InvalidEventException.NULL_VALUE, "record has no value", null);
            return;
        }
        T event;
        try {
            event = deserializer.deserialize(topic, record.value());
        } catch (RegistryException e) {
            if (e.isRetriable()) {
                throw new TimeoutException("schema registry unreachable while decoding " + topic + ": " + e.getMessage(), e);
            }
            deadLetter(record, InvalidEventException.UNDESERIALIZABLE, e.getMessage(), null);
            return;
        } catch (RuntimeException e) {
            deadLetter(record, InvalidEventException.UNDESERIALIZABLE, e.getMessage(), null);
            return;
        }
        long payloadTime = timestamp(event);
        String model = modelId(event);
        // The extractor already used the payload time unless it was out of range; record.timestamp() is then the
        // record's own time, which is what the range is relative to.
        if (payloadTime < PayloadTimestamps.MIN_VALID_MS || payloadTime > record.timestamp() + maxSkewMs) {
            deadLetter(record, InvalidEventException.TIMESTAMP_OUT_OF_RANGE, "event timestamp " + payloadTime
                    + " is before 2000 or more than " + maxSkewMs + " ms ahead of the record's time " + record.timestamp(),
                    model);
            return;
        }
        try {
            ValueAndTimestamp<ModelSpec> spec = specs.get(model == null ? "" : model);
            validate(event, rules.spec(model, spec == null ? null : spec.value()));
        } catch (InvalidEventException e) {
            deadLetter(record, e.reason(), e.getMessage(), model);
            return;
        }
        RecordMetadata meta = context.recordMetadata().orElseThrow();
        context.forward(new Record<>(JoinKeys.of(model, predictionId(event)),
                (Intake) new Intake.Accepted(input(event, record, meta)), payloadTime, record.headers()));
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason, String message, String model) {
        accounting.increment(stream, model == null ? Accounting.UNKNOWN_MODEL : model, Accounting.INVALID);
        RecordMetadata meta = context.recordMetadata().orElse(null);
        context.forward(new Record<>("", (Intake) new Intake.DeadLetter(record.key(), record.value()),
                Math.max(0, record.timestamp()),
                DeadLetters.headers(reason, message, model, meta == null ? null : meta.topic(),
                        meta == null ? -1 : meta.partition(), meta == null ? -1 : meta.offset())));
    }

    abstract long timestamp(T event);

    abstract String modelId(T event);

    abstract String predictionId(T event);

    /** @throws InvalidEventException when the event cannot be scored */
    abstract void validate(T event, ModelSpec spec);

    abstract JoinInput input(T event, Record<byte[], byte[]> record, RecordMetadata meta);
}
