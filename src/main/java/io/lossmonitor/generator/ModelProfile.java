package io.lossmonitor.generator;

import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.util.Locale;

/**
 * One simulated model: {@code id[@version]:task:output:classes}, e.g. {@code ranker@v2:multiclass:logits:10},
 * {@code fraud:binary:logits} (binary has one output), {@code tagger:multilabel:probabilities:5}.
 */
public record ModelProfile(String modelId, String version, Task task, OutputKind output, int classes) {

    public ModelProfile {
        if (task == Task.BINARY && classes != 1) {
            throw new IllegalArgumentException("a binary model has 1 output, got " + classes);
        }
        if (task != Task.BINARY && classes < 2) {
            throw new IllegalArgumentException(task + " needs at least 2 classes, got " + classes);
        }
        if (output == OutputKind.LOG_PROBABILITIES && task != Task.MULTICLASS) {
            throw new IllegalArgumentException("log-probabilities are for multiclass models only");
        }
    }

    /** The three models of the demo: binary on logits, 10-class on logits, 5-label multi-label on probabilities. */
    public static final String DEMO = "fraud:binary:logits,ranker:multiclass:logits:10,tagger:multilabel:probabilities:5";

    public static ModelProfile parse(String spec) {
        String[] parts = spec.trim().split(":");
        if (parts.length < 3 || parts.length > 4) {
            throw new IllegalArgumentException("model '" + spec + "' is not id[@version]:task:output[:classes]");
        }
        String[] idVersion = parts[0].split("@", 2);
        Task task = parseEnum(Task.class, parts[1], spec);
        OutputKind output = parseEnum(OutputKind.class, parts[2], spec);
        int classes = task == Task.BINARY ? 1 : 0;
        if (parts.length == 4) {
            try {
                classes = Integer.parseInt(parts[3]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("model '" + spec + "': classes must be a number", e);
            }
        } else if (task != Task.BINARY) {
            throw new IllegalArgumentException("model '" + spec + "': give the number of classes");
        }
        return new ModelProfile(idVersion[0], idVersion.length == 2 ? idVersion[1] : "v1", task, output, classes);
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String spec) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model '" + spec + "': unknown " + type.getSimpleName() + " '" + value + "'", e);
        }
    }
}
