package io.lossmonitor.topology.intake;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinInput;
import io.lossmonitor.topology.score.ModelRules;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Intake of labels: what can be checked without the prediction (ids, finite target, sample weight); the rest is
 * checked at the join. The original bytes and source position travel with the label, for the late-labels and
 * dead-letter topics.
 */
public final class LabelIntakeProcessor extends IntakeProcessor<LabelEvent> {

    public LabelIntakeProcessor(AvroDeserializer<LabelEvent> deserializer, AvroDeserializer<ModelSpec> specs,
                    TopologyConfig config) {
        super(Accounting.LABELS, config.labelsTopic(), deserializer, ModelRules.of(config, specs), config);
    }

    @Override
    long timestamp(LabelEvent event) {
        return event.timestampMs();
    }

    @Override
    String modelId(LabelEvent event) {
        return event.modelId();
    }

    @Override
    String predictionId(LabelEvent event) {
        return event.predictionId();
    }

    @Override
    void validate(LabelEvent event) {
        rules.validate(event);
    }

    @Override
    JoinInput input(LabelEvent event, Record<byte[], byte[]> record, Source source) {
        return new JoinInput.LabelInput(event, record.key(), record.value(), source.topic(), source.partition(), source.offset());
    }
}
