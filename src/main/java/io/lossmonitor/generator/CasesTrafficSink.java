package io.lossmonitor.generator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.events.DefaultLoss;
import io.lossmonitor.generator.GeneratedRecord.LabelRecord;
import io.lossmonitor.generator.GeneratedRecord.PredictionRecord;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes what the service should report as loss-CLI cases: for each (model, version), one batch case with
 * {@code reduction='mean'} over the events that join, i.e. valid predictions whose newest valid label (by label
 * timestamp; of equal ones, the last to arrive) came within
 * {@code maxLabelDelay} of the prediction time (duplicates ignored, corrections replacing the first label), scored
 * with the model's default loss; then one per class (id {@code model@version/class}): the events whose target is
 * that class for cross-entropy, that label's column for multi-label BCE. So {@code loss --input cases.jsonl} prints
 * the figures to compare with the service's means over all time (or over any window holding all the events).
 * Holds every prediction in memory: it is for test and demo volumes.
 */
public final class CasesTrafficSink implements TrafficSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Writer out;
    private final long maxDelayMs;
    private final Map<String, Prediction> predictions = new LinkedHashMap<>();
    private final Map<String, Label> labels = new HashMap<>();

    public CasesTrafficSink(Writer out, Duration maxLabelDelay) {
        this.out = out;
        this.maxDelayMs = maxLabelDelay.toMillis();
    }

    @Override
    public void accept(GeneratedRecord record) {
        switch (record) {
            case PredictionRecord p -> {
                if (p.valid()) {
                    predictions.putIfAbsent(key(p.prediction().getModelId(), p.prediction().getPredictionId()), p.prediction());
                }
            }
            case LabelRecord l -> {
                if (l.valid()) {
                    // As the join decides: a label replaces the one held unless it is older, so a re-delivered copy
                    // of the first label arriving after a correction does not undo the correction.
                    labels.merge(key(l.label().getModelId(), l.label().getPredictionId()), l.label(),
                            (held, next) -> next.getTimestamp().isBefore(held.getTimestamp()) ? held : next);
                }
            }
        }
    }

    private static String key(String model, String id) {
        return model + '\u0000' + id;
    }

    @Override
    public void close() throws IOException {
        Map<String, ObjectNode> cases = new TreeMap<>();
        for (Map.Entry<String, Prediction> entry : predictions.entrySet()) {
            Prediction p = entry.getValue();
            Label label = labels.get(entry.getKey());
            if (label == null) {
                continue;
            }
            long delay = label.getTimestamp().toEpochMilli() - p.getTimestamp().toEpochMilli();
            if (delay > maxDelayMs) {
                continue;
            }
            boolean index = label.getTarget() instanceof Integer;
            String id = p.getModelId() + "@" + p.getModelVersion() + (index ? "" : "#vector");
            ObjectNode c = cases.computeIfAbsent(id, k -> newCase(k, p, index));
            ((ArrayNode) c.get("input")).add(EventJson.numbers(p.getScores()));
            ((ArrayNode) c.get("target")).add(target(p.getTask(), label.getTarget()));
            c.put("events", c.get("events").asInt() + 1);
        }
        try (out) {
            for (ObjectNode c : cases.values()) {
                out.write(JSON.writeValueAsString(c));
                out.write('\n');
                for (ObjectNode perClass : perClass(c)) {
                    out.write(JSON.writeValueAsString(perClass));
                    out.write('\n');
                }
            }
        }
    }

    /** The class batches of a model batch: rows whose index target is c, or column c of multi-label rows. */
    private static List<ObjectNode> perClass(ObjectNode c) {
        ArrayNode input = (ArrayNode) c.get("input");
        ArrayNode target = (ArrayNode) c.get("target");
        boolean index = target.size() > 0 && target.get(0).isIntegralNumber();
        int classes = input.size() == 0 ? 0 : input.get(0).size();
        Map<Integer, ObjectNode> out = new TreeMap<>();
        for (int row = 0; row < input.size(); row++) {
            if (index) {
                int y = target.get(row).asInt();
                ObjectNode batch = out.computeIfAbsent(y, k -> classCase(c, k));
                ((ArrayNode) batch.get("input")).add(input.get(row));
                ((ArrayNode) batch.get("target")).add(y);
                batch.put("events", batch.get("events").asInt() + 1);
            } else if (!c.get("loss").asText().equals("cross_entropy")) {
                for (int k = 0; k < classes; k++) {
                    ObjectNode batch = out.computeIfAbsent(k, key -> classCase(c, key));
                    ((ArrayNode) batch.get("input")).addArray().add(input.get(row).get(k));
                    ((ArrayNode) batch.get("target")).addArray().add(target.get(row).get(k));
                    batch.put("events", batch.get("events").asInt() + 1);
                }
            }
        }
        return List.copyOf(out.values());
    }

    private static ObjectNode classCase(ObjectNode c, int cls) {
        ObjectNode batch = c.deepCopy();
        batch.put("id", c.get("id").asText().replace("#vector", "") + "/" + cls);
        batch.put("class", cls);
        batch.put("events", 0);
        batch.putArray("input");
        batch.putArray("target");
        return batch;
    }

    private static ObjectNode newCase(String id, Prediction p, boolean index) {
        LossKind loss = DefaultLoss.of(p.getTask(), p.getOutput());
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id).put("model_id", p.getModelId()).put("model_version", p.getModelVersion());
        c.put("loss", switch (loss) {
            case CROSS_ENTROPY -> "cross_entropy";
            case NLL -> "nll_loss";
            case BINARY_CROSS_ENTROPY -> "binary_cross_entropy";
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> "binary_cross_entropy_with_logits";
        });
        if (loss == LossKind.CROSS_ENTROPY && p.getOutput() == OutputKind.PROBABILITIES) {
            c.put("input_kind", "probabilities");
        }
        if (p.getTask() == Task.MULTICLASS) {
            c.put("target_kind", index ? "index" : "prob");
        }
        c.put("reduction", "mean").put("events", 0);
        c.putArray("input");
        c.putArray("target");
        return c;
    }

    /** Binary index labels become the one-element float vector BCE takes. */
    @SuppressWarnings("unchecked")
    private static com.fasterxml.jackson.databind.JsonNode target(Task task, Object target) {
        if (task == Task.BINARY && target instanceof Integer y) {
            return EventJson.numbers(List.of((double) y));
        }
        if (target instanceof Integer y) {
            return JSON.getNodeFactory().numberNode(y);
        }
        return EventJson.numbers((List<Double>) target);
    }
}
