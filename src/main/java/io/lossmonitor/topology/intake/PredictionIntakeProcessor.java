package io.lossmonitor.topology.intake;

import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinInput;
import io.lossmonitor.topology.score.ModelRules;
import org.apache.kafka.streams.processor.api.Record;

/** Intake of predictions: decoded into primitive arrays and checked against the model's rule. */
public final class PredictionIntakeProcessor extends IntakeProcessor<PredictionEvent> {

    public PredictionIntakeProcessor(AvroDeserializer<PredictionEvent> deserializer, AvroDeserializer<ModelSpec> specs,
                    TopologyConfig config) {
        super(Accounting.PREDICTIONS, config.predictionsTopic(), deserializer, ModelRules.of(config, specs), config);
    }

    @Override
    long timestamp(PredictionEvent event) {
        return event.timestampMs();
    }

    @Override
    String modelId(PredictionEvent event) {
        return event.modelId();
    }

    @Override
    String predictionId(PredictionEvent event) {
        return event.predictionId();
    }

    @Override
    void validate(PredictionEvent event) {
        rules.validate(event, spec(event.modelId()));
    }

    @Override
    JoinInput input(PredictionEvent event, Record<byte[], byte[]> record, Source source) {
        return new JoinInput.PredictionInput(event);
    }
}
