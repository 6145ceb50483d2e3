package io.lossmonitor.generator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.generator.GeneratedRecord.LabelRecord;
import io.lossmonitor.generator.GeneratedRecord.PredictionRecord;
import java.io.IOException;
import java.io.Writer;

/**
 * The event log: one JSON object per record in arrival order, with the fields of the Avro contracts plus
 * {@code type} (prediction | label), {@code arrival_ms}, {@code valid}, and {@code duplicate} or {@code role}.
 */
public final class JsonLinesTrafficSink implements TrafficSink {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Writer out;

    public JsonLinesTrafficSink(Writer out) {
        this.out = out;
    }

    @Override
    public void accept(GeneratedRecord record) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        switch (record) {
            case PredictionRecord p -> {
                line.put("type", "prediction").put("arrival_ms", p.arrivalMs()).put("valid", p.valid())
                        .put("duplicate", p.duplicate())
                        .put("prediction_id", p.prediction().getPredictionId())
                        .put("model_id", p.prediction().getModelId())
                        .put("model_version", p.prediction().getModelVersion())
                        .put("timestamp", p.prediction().getTimestamp().toEpochMilli())
                        .put("task", p.prediction().getTask().name())
                        .put("output", p.prediction().getOutput().name());
                line.set("scores", EventJson.numbers(p.prediction().getScores()));
                line.set("segments", JSON.valueToTree(p.prediction().getSegments()));
            }
            case LabelRecord l -> {
                line.put("type", "label").put("arrival_ms", l.arrivalMs()).put("valid", l.valid())
                        .put("role", l.role().name())
                        .put("prediction_id", l.label().getPredictionId())
                        .put("model_id", l.label().getModelId())
                        .put("timestamp", l.label().getTimestamp().toEpochMilli());
                line.set("target", EventJson.target(l.label().getTarget()));
                if (l.label().getWeight() == null) {
                    line.putNull("weight");
                } else {
                    line.put("weight", l.label().getWeight());
                }
            }
        }
        out.write(JSON.writeValueAsString(line));
        out.write('\n');
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
