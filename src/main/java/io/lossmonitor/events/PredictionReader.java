package io.lossmonitor.events;

import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.IOException;
import java.util.Map;
import org.apache.avro.Schema;
import java.util.List;
import org.apache.avro.io.Decoder;

/** Decodes any compatible version of {@code Prediction} into a {@link PredictionEvent}. */
public final class PredictionReader extends ResolvingReader<PredictionEvent> {

    private static final Task[] TASKS = Task.values();
    private static final OutputKind[] OUTPUTS = OutputKind.values();

    public PredictionReader(Schema writerSchema) {
        super(writerSchema, Prediction.getClassSchema());
    }

    @Override
    PredictionEvent read(Decoder in, List<Schema.Field> order, boolean direct) throws IOException {
        String predictionId = null;
        String modelId = null;
        String modelVersion = null;
        long timestamp = 0;
        Task task = null;
        OutputKind output = null;
        double[] scores = null;
        Map<String, String> segments = Map.of();
        for (Schema.Field field : order) {
            switch (field.name()) {
                case "prediction_id" -> predictionId = in.readString();
                case "model_id" -> modelId = in.readString();
                case "model_version" -> modelVersion = in.readString();
                case "timestamp" -> timestamp = in.readLong();
                case "task" -> task = TASKS[in.readEnum()];
                case "output" -> output = OUTPUTS[in.readEnum()];
                case "scores" -> scores = readDoubles(in, field, direct);
                case "segments" -> segments = readStringMap(in);
                default -> throw new IllegalStateException("Prediction reader schema has an unhandled field " + field.name());
            }
        }
        return new PredictionEvent(predictionId, modelId, modelVersion, timestamp, task, output, scores, segments);
    }
}
