package io.lossmonitor.topology.score;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.loss.LossInputException;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds and compiles the scoring rule of each prediction: the spec from the {@code models} topic if there is one,
 * else the spec from the configuration file, else the defaults for the prediction's task and output. Compiled rules
 * (and compile failures) are cached per spec and prediction shape, so a spec change takes effect with the next
 * event. One instance per processor: not thread-safe.
 */
public final class ModelRules {

    private static final int CACHE_LIMIT = 10_000;

    private record Key(String modelId, ModelSpec spec, Task task, OutputKind output, int scores) {
    }

    private final Map<String, ModelSpec> configured;
    private final long defaultMaxLabelDelayMs;
    private final int maxScores;
    private final Map<Key, Object> cache = new HashMap<>();

    public ModelRules(Map<String, ModelSpec> configured, long defaultMaxLabelDelayMs, int maxScores) {
        this.configured = configured;
        this.defaultMaxLabelDelayMs = defaultMaxLabelDelayMs;
        this.maxScores = maxScores;
    }

    /** The effective spec: the topic's (may be null) over the configuration's. */
    public ModelSpec spec(String modelId, ModelSpec fromTopic) {
        return fromTopic != null ? fromTopic : configured.get(modelId);
    }

    /**
     * The rule for this prediction, after checking it: ids present, not too many scores, a loss that fits, the
     * expected number of scores, and scores the loss accepts.
     *
     * @throws InvalidEventException naming what is wrong
     */
    public ScoringRule validate(PredictionEvent p, ModelSpec spec) {
        requireId("prediction_id", p.predictionId());
        requireId("model_id", p.modelId());
        requirePrintable("model_id", p.modelId());
        requirePrintable("model_version", p.modelVersion());
        if (p.scores().length > maxScores) {
            throw new InvalidEventException(InvalidEventException.TOO_MANY_SCORES, "prediction has " + p.scores().length
                    + " scores, more than the limit of " + maxScores);
        }
        if (p.scores().length == 0) {
            throw new InvalidEventException(LossInputException.Reason.SHAPE_MISMATCH.name(), "prediction has no scores");
        }
        ScoringRule rule = rule(p.modelId(), spec, p.task(), p.output(), p.scores().length);
        try {
            if (rule.crossEntropy() != null) {
                rule.crossEntropy().validateScores(p.scores(), 0);
            } else {
                rule.binary().validateScores(p.scores(), 0);
            }
        } catch (LossInputException e) {
            throw InvalidEventException.of(e);
        }
        return rule;
    }

    /**
     * Checks what can be checked of a label before its prediction is known: ids, a finite target vector of
     * acceptable size, a finite non-negative sample weight.
     *
     * @throws InvalidEventException naming what is wrong
     */
    public void validate(LabelEvent label) {
        requireId("prediction_id", label.predictionId());
        requireId("model_id", label.modelId());
        requirePrintable("model_id", label.modelId());
        if (!label.hasIndexTarget()) {
            double[] t = label.targetVector();
            if (t.length > maxScores) {
                throw new InvalidEventException(InvalidEventException.TOO_MANY_SCORES, "target has " + t.length
                        + " values, more than the limit of " + maxScores);
            }
            for (int i = 0; i < t.length; i++) {
                if (!Double.isFinite(t[i])) {
                    throw new InvalidEventException(LossInputException.Reason.NON_FINITE_TARGET.name(),
                            "target[" + i + "] = " + t[i] + " is not finite");
                }
            }
        }
        double w = label.weight();
        if (!(w >= 0.0) || Double.isInfinite(w)) {
            throw new InvalidEventException(LossInputException.Reason.INVALID_WEIGHT.name(), "sample weight " + w
                    + " must be a finite number >= 0");
        }
    }

    /** The compiled rule (cached), or the compile failure (cached too). */
    public ScoringRule rule(String modelId, ModelSpec spec, Task task, OutputKind output, int scores) {
        Key key = new Key(modelId, spec, task, output, scores);
        Object cached = cache.get(key);
        if (cached == null) {
            try {
                cached = ScoringRule.compile(modelId, spec, task, output, scores, defaultMaxLabelDelayMs);
            } catch (InvalidEventException e) {
                cached = e;
            }
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(key, cached);
        }
        if (cached instanceof InvalidEventException e) {
            throw new InvalidEventException(e.reason(), e.getMessage());
        }
        return (ScoringRule) cached;
    }

    /**
     * Model ids and versions become parts of store keys (joined by control characters) and metric labels: one with
     * a control character could make two keys collide.
     */
    private static void requirePrintable(String field, String value) {
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidEventException(InvalidEventException.INVALID_ID, String.format(java.util.Locale.ROOT,
                        "%s contains the control character U+%04X at index %d", field, (int) value.charAt(i), i));
            }
        }
    }

    private static void requireId(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidEventException(InvalidEventException.MISSING_FIELD, field + " is empty");
        }
    }
}
