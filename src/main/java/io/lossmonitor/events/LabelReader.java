package io.lossmonitor.events;

import io.lossmonitor.schema.Label;
import java.io.IOException;
import org.apache.avro.Schema;
import java.util.List;
import org.apache.avro.io.Decoder;

/** Decodes any compatible version of {@code Label} into a {@link LabelEvent}. */
public final class LabelReader extends ResolvingReader<LabelEvent> {

    public LabelReader(Schema writerSchema) {
        super(writerSchema, Label.getClassSchema());
    }

    @Override
    LabelEvent read(Decoder in, List<Schema.Field> order, boolean direct) throws IOException {
        String predictionId = null;
        String modelId = null;
        long timestamp = 0;
        int index = -1;
        double[] vector = null;
        double weight = 1.0;
        for (Schema.Field field : order) {
            switch (field.name()) {
                case "prediction_id" -> predictionId = in.readString();
                case "model_id" -> modelId = in.readString();
                case "timestamp" -> timestamp = in.readLong();
                case "target" -> {
                    // Reader union: ["int", array<double>].
                    if (in.readIndex() == 0) {
                        index = in.readInt();
                    } else {
                        vector = readDoubles(in, field, direct);
                    }
                }
                case "weight" -> {
                    if (in.readIndex() == 0) {
                        in.readNull();
                    } else {
                        weight = in.readDouble();
                    }
                }
                default -> throw new IllegalStateException("Label reader schema has an unhandled field " + field.name());
            }
        }
        return new LabelEvent(predictionId, modelId, timestamp, index, vector, weight);
    }
}
