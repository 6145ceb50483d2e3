package io.lossmonitor.topology.score;

import io.lossmonitor.events.DefaultLoss;
import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.loss.BinaryCrossEntropy;
import io.lossmonitor.loss.CrossEntropy;
import io.lossmonitor.loss.LossInputException;
import io.lossmonitor.loss.ScoreSpace;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.util.List;

/**
 * How one model's predictions of one shape are scored: the loss, with its PyTorch arguments bound, compiled once
 * from the model's spec (or the defaults for the prediction's task and output) and reused for every event.
 */
public final class ScoringRule {

    /** The most bytes (UTF-8) a spec's class names may take together; see {@code TopologyConfig.maxRecordBytes()}. */
    public static final int MAX_CLASS_NAME_BYTES = 256 * 1024;

    private final String modelId;
    private final LossKind loss;
    private final Task task;
    private final OutputKind output;
    private final int classes;
    private final List<String> classNames;
    private final CrossEntropy crossEntropy;
    private final BinaryCrossEntropy binary;
    private final long maxLabelDelayMs;

    private ScoringRule(String modelId, LossKind loss, Task task, OutputKind output, int classes,
                        List<String> classNames, CrossEntropy crossEntropy, BinaryCrossEntropy binary, long maxLabelDelayMs) {
        this.modelId = modelId;
        this.loss = loss;
        this.task = task;
        this.output = output;
        this.classes = classes;
        this.classNames = classNames;
        this.crossEntropy = crossEntropy;
        this.binary = binary;
        this.maxLabelDelayMs = maxLabelDelayMs;
    }

    /**
     * Compiles the rule for {@code modelId}'s predictions of {@code task}/{@code output} with {@code scoreCount}
     * scores.
     *
     * @param spec the model's spec, or null for the defaults
     * @throws InvalidEventException LOSS_MISMATCH, SHAPE_MISMATCH (score count) or INVALID_SPEC
     */
    public static ScoringRule compile(String modelId, ModelSpec spec, Task task, OutputKind output, int scoreCount,
                                      long defaultMaxLabelDelayMs) {
        LossKind loss = spec != null && spec.getLoss() != null ? spec.getLoss() : DefaultLoss.of(task, output);
        checkFits(modelId, loss, task, output);
        List<String> names = spec == null ? List.of() : List.copyOf(spec.getClassNames());
        int classes = task == Task.BINARY ? 1
                : spec != null && spec.getNumClasses() != null ? spec.getNumClasses()
                : !names.isEmpty() ? names.size() : scoreCount;
        if (!names.isEmpty() && names.size() != classes) {
            throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId + " has "
                    + names.size() + " class names for " + classes + " classes");
        }
        long nameBytes = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name.length() > ModelRules.MAX_NAME_CHARS) {
                throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId + " has a class"
                        + " name of " + name.length() + " characters (class " + i + "), more than the limit of "
                        + ModelRules.MAX_NAME_CHARS + " (it is a metric label value)");
            }
            nameBytes += name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        if (nameBytes > MAX_CLASS_NAME_BYTES) {
            // Every scored event of a multi-label model names each class: the names must leave room in the record.
            throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId + " has class names of "
                    + nameBytes + " bytes in all, more than the limit of " + MAX_CLASS_NAME_BYTES);
        }
        if (scoreCount != classes) {
            throw new InvalidEventException(LossInputException.Reason.SHAPE_MISMATCH.name(), "prediction has "
                    + scoreCount + " scores; model " + modelId + " (" + task + ") expects " + classes);
        }
        long delay = spec != null && spec.getMaxLabelDelayMs() != null ? spec.getMaxLabelDelayMs() : defaultMaxLabelDelayMs;
        if (delay <= 0 || delay > defaultMaxLabelDelayMs) {
            // The service's maximum is the windows' grace: a longer delay would update windows already closed.
            throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId
                    + " has max_label_delay_ms " + delay + "; it must be > 0 and at most the service's maximum label"
                    + " delay of " + defaultMaxLabelDelayMs + " ms");
        }
        double[] weight = spec == null || spec.getClassWeights() == null ? null
                : spec.getClassWeights().stream().mapToDouble(Double::doubleValue).toArray();
        double[] posWeight = spec == null || spec.getPosWeight() == null ? null
                : spec.getPosWeight().stream().mapToDouble(Double::doubleValue).toArray();
        try {
            switch (loss) {
                case CROSS_ENTROPY:
                case NLL: {
                    if (posWeight != null) {
                        throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId
                                + ": pos_weight applies to BINARY_CROSS_ENTROPY_WITH_LOGITS only");
                    }
                    CrossEntropy ce = CrossEntropy.builder(classes)
                            .scores(output == OutputKind.LOGITS ? ScoreSpace.LOGITS
                                    : output == OutputKind.PROBABILITIES ? ScoreSpace.PROBABILITIES
                                    : ScoreSpace.LOG_PROBABILITIES)
                            .weight(weight)
                            .ignoreIndex(spec == null ? CrossEntropy.DEFAULT_IGNORE_INDEX : spec.getIgnoreIndex())
                            .labelSmoothing(spec == null || loss == LossKind.NLL ? 0.0 : spec.getLabelSmoothing())
                            .probabilitySumTolerance(spec == null ? CrossEntropy.DEFAULT_PROBABILITY_SUM_TOLERANCE
                                    : spec.getProbabilitySumTolerance())
                            .build();
                    return new ScoringRule(modelId, loss, task, output, classes, names, ce, null, delay);
                }
                case BINARY_CROSS_ENTROPY:
                    if (posWeight != null) {
                        throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId
                                + ": binary_cross_entropy has no pos_weight; use BINARY_CROSS_ENTROPY_WITH_LOGITS");
                    }
                    return new ScoringRule(modelId, loss, task, output, classes, names, null,
                            BinaryCrossEntropy.onProbabilities(classes, weight), delay);
                case BINARY_CROSS_ENTROPY_WITH_LOGITS:
                    return new ScoringRule(modelId, loss, task, output, classes, names, null,
                            BinaryCrossEntropy.onLogits(classes, weight, posWeight), delay);
                default:
                    throw new AssertionError(loss);
            }
        } catch (LossInputException e) {
            throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "model " + modelId + " has an invalid"
                    + " spec: " + e.getMessage(), e);
        }
    }

    /**
     * Why {@code spec} can score no prediction at all, or null. It is compiled for every task and output kind its loss
     * fits (every one, when it names no loss), with the class count it declares (num_classes, else as many as its
     * class names, class weights or pos_weight; else 2), and is usable when one of them compiles; the reason given is
     * the first failure, those with the declared class count first. The service checks its configured specs so at
     * start-up; a spec on the models topic is judged when its model's events arrive.
     */
    public static String problem(String modelId, ModelSpec spec, long defaultMaxLabelDelayMs) {
        int declared = spec.getNumClasses() != null ? spec.getNumClasses()
                : !spec.getClassNames().isEmpty() ? spec.getClassNames().size()
                : spec.getClassWeights() != null ? spec.getClassWeights().size()
                : spec.getPosWeight() != null ? spec.getPosWeight().size() : 2;
        String first = null;
        // The tasks whose class count is the declared one first, so that the reason given is about those.
        List<Task> tasks = declared == 1 ? List.of(Task.BINARY, Task.MULTICLASS, Task.MULTILABEL)
                : List.of(Task.MULTICLASS, Task.MULTILABEL, Task.BINARY);
        for (Task task : tasks) {
            for (OutputKind output : OutputKind.values()) {
                LossKind loss = spec.getLoss() != null ? spec.getLoss() : DefaultLoss.of(task, output);
                if (!fits(loss, task, output)) {
                    continue;
                }
                try {
                    compile(modelId, spec, task, output, task == Task.BINARY ? 1 : declared, defaultMaxLabelDelayMs);
                    return null;
                } catch (InvalidEventException e) {
                    first = first == null ? e.getMessage() : first;
                }
            }
        }
        return first;
    }

    private static boolean fits(LossKind loss, Task task, OutputKind output) {
        return switch (loss) {
            case CROSS_ENTROPY -> task == Task.MULTICLASS && output != OutputKind.LOG_PROBABILITIES;
            case NLL -> task == Task.MULTICLASS && output == OutputKind.LOG_PROBABILITIES;
            case BINARY_CROSS_ENTROPY -> task != Task.MULTICLASS && output == OutputKind.PROBABILITIES;
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> task != Task.MULTICLASS && output == OutputKind.LOGITS;
        };
    }

    private static void checkFits(String modelId, LossKind loss, Task task, OutputKind output) {
        if (!fits(loss, task, output)) {
            throw new InvalidEventException(InvalidEventException.LOSS_MISMATCH, "model " + modelId + " is scored with "
                    + loss + ", which does not fit a " + task + " prediction of " + output);
        }
    }

    public String modelId() {
        return modelId;
    }

    public LossKind loss() {
        return loss;
    }

    public Task task() {
        return task;
    }

    public OutputKind output() {
        return output;
    }

    public int classes() {
        return classes;
    }

    public long maxLabelDelayMs() {
        return maxLabelDelayMs;
    }

    /** The class's name from the spec, or its index as text. */
    public String className(int index) {
        return index < classNames.size() ? classNames.get(index) : Integer.toString(index);
    }

    CrossEntropy crossEntropy() {
        return crossEntropy;
    }

    BinaryCrossEntropy binary() {
        return binary;
    }
}
