package io.lossmonitor.loss;

import io.lossmonitor.loss.LossInputException.Reason;

/**
 * {@code F.binary_cross_entropy} (on probabilities) and {@code F.binary_cross_entropy_with_logits}, in float64.
 *
 * <p>Element losses, with weight {@code w} and pos_weight {@code p} (both 1 when absent):
 * <ul>
 *   <li>probabilities: {@code w·[(t-1)·max(log1p(-x), -100) - t·max(log x, -100)]}. Both logs are clamped
 *       <em>before</em> the multiplication, so {@code x=0, t=0} is 0 rather than {@code 0·(-inf)}. Input and target
 *       must lie in [0, 1].</li>
 *   <li>logits: {@code w·[(1-t)·softplus(x) + p·t·softplus(-x)]}, the closed form of PyTorch's
 *       {@code (1-t)·x - (1+(p-1)·t)·log_sigmoid(x)}. It has no cancellation, so a tiny loss keeps its exact value;
 *       there is no clamp. As in PyTorch, the target's range is not checked, only that it is finite.</li>
 * </ul>
 * A row is one event's C outputs (C = 1 for binary, C labels for multi-label); its mean denominator is C, so a
 * batch mean is PyTorch's {@code Σ / numel} (weights are not normalised).
 *
 * <p>Configured per model with per-class {@code weight} and {@code pos_weight} (length C, broadcast over rows as
 * PyTorch broadcasts a (C,) tensor along the last dimension). Immutable, thread-safe, no allocation per row.
 */
public final class BinaryCrossEntropy {

    private static final Kernels KERNELS = Kernels.best();

    private final int numClasses;
    private final boolean logits;
    private final double[] weight;
    private final double[] posWeight;

    private BinaryCrossEntropy(int numClasses, boolean logits, double[] weight, double[] posWeight) {
        this.numClasses = numClasses;
        this.logits = logits;
        this.weight = weight;
        this.posWeight = posWeight;
    }

    /** {@code binary_cross_entropy} on probabilities, with optional per-class weights. */
    public static BinaryCrossEntropy onProbabilities(int numClasses, double[] weight) {
        return new BinaryCrossEntropy(checkClasses(numClasses), false, perClass("weight", weight, numClasses), null);
    }

    /** {@code binary_cross_entropy_with_logits}, with optional per-class weights and pos_weight. */
    public static BinaryCrossEntropy onLogits(int numClasses, double[] weight, double[] posWeight) {
        return new BinaryCrossEntropy(checkClasses(numClasses), true, perClass("weight", weight, numClasses),
                perClass("pos_weight", posWeight, numClasses));
    }

    public int numClasses() {
        return numClasses;
    }

    public boolean onLogits() {
        return logits;
    }

    /** The row's mean denominator: its element count. */
    public double denominator() {
        return numClasses;
    }

    /**
     * The summed loss of one row (C elements), the event's numerator. When {@code elementsOut} is not null the
     * element losses are also written to it from {@code outOffset} (per-class contributions).
     *
     * @throws LossInputException for out-of-range probabilities or non-finite logits/targets
     */
    public double rowLoss(double[] scores, int offset, double[] target, int targetOffset,
                          double[] elementsOut, int outOffset) {
        if (offset < 0 || offset + numClasses > scores.length || targetOffset < 0
                || targetOffset + numClasses > target.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "expected " + numClasses + " scores and targets, got "
                    + Math.max(0, scores.length - offset) + " and " + Math.max(0, target.length - targetOffset));
        }
        if (logits) {
            double sum = KERNELS.bceLogitsRow(scores, offset, target, targetOffset, numClasses, weight, posWeight,
                    elementsOut, outOffset);
            if (Double.isFinite(sum)) {
                return sum;
            }
            // A non-finite input (or an overflowing weight): the element loop below names the offending element.
        }
        // Probabilities, or a logit row that did not sum to a finite value: element by element.
        double sum = 0.0;
        for (int c = 0; c < numClasses; c++) {
            double x = scores[offset + c];
            double t = target[targetOffset + c];
            double w = weight == null ? 1.0 : weight[c];
            double l = logits
                    ? w * ScalarKernels.logitElement(c, x, t, posWeight == null ? 1.0 : posWeight[c])
                    : w * probabilityElement(c, x, t);
            if (elementsOut != null) {
                elementsOut[outOffset + c] = l;
            }
            sum += l;
        }
        return sum;
    }

    /**
     * Checks one row of scores as {@link #rowLoss} does (finite logits, or probabilities in [0, 1]).
     *
     * @throws LossInputException for an invalid row
     */
    public void validateScores(double[] scores, int offset) {
        if (offset < 0 || offset + numClasses > scores.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "expected " + numClasses + " scores, got "
                    + Math.max(0, scores.length - offset));
        }
        for (int c = 0; c < numClasses; c++) {
            double x = scores[offset + c];
            if (logits ? !Double.isFinite(x) : !(x >= 0.0 && x <= 1.0)) {
                throw new LossInputException(logits ? Reason.NON_FINITE_SCORE : Reason.PROBABILITY_OUT_OF_RANGE,
                        "input[" + c + "] = " + LogMath.describe(x) + (logits ? " is not finite" : " is outside [0, 1]"));
            }
        }
    }

    /**
     * Element-wise losses over tensors of any shape, flattened: PyTorch's {@code reduction='none'}. {@code weight}
     * and {@code posWeight} are null or already broadcast to the input's element count.
     */
    public static double[] elementLosses(boolean logits, double[] input, double[] target,
                                         double[] weight, double[] posWeight) {
        checkElementwise(logits, input, target, weight, posWeight);
        double[] out = new double[input.length];
        for (int i = 0; i < input.length; i++) {
            out[i] = element(logits, i, input, target, weight, posWeight);
        }
        return out;
    }

    /** PyTorch's {@code mean} (over numel) or {@code sum}, arguments as for {@link #elementLosses}. */
    public static double reduceElements(boolean logits, double[] input, double[] target,
                                        double[] weight, double[] posWeight, Reduction reduction) {
        checkElementwise(logits, input, target, weight, posWeight);
        LossAccumulator acc = new LossAccumulator();
        for (int i = 0; i < input.length; i++) {
            acc.add(element(logits, i, input, target, weight, posWeight), 1.0);
        }
        return CrossEntropy.reduce(acc, reduction);
    }

    private static double element(boolean logits, int i, double[] input, double[] target,
                                  double[] weight, double[] posWeight) {
        double w = weight == null ? 1.0 : weight[i];
        double l = logits
                ? ScalarKernels.logitElement(i, input[i], target[i], posWeight == null ? 1.0 : posWeight[i])
                : probabilityElement(i, input[i], target[i]);
        return w * l + 0.0;
    }

    private static void checkElementwise(boolean logits, double[] input, double[] target,
                                         double[] weight, double[] posWeight) {
        if (target.length != input.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "target has " + target.length
                    + " elements, the input has " + input.length + "; they must have the same size");
        }
        checkLength("weight", weight, input.length);
        checkLength("pos_weight", posWeight, input.length);
        if (weight != null) {
            Weights.check("weight", weight);
        }
        if (posWeight != null) {
            if (!logits) {
                throw new LossInputException(Reason.INVALID_ARGUMENT, "binary_cross_entropy has no pos_weight;"
                        + " use binary_cross_entropy_with_logits");
            }
            Weights.check("pos_weight", posWeight);
        }
    }

    /** One unweighted BCE element on a probability, with PyTorch's -100 clamp on both logs. */
    static double probabilityElement(int index, double x, double t) {
        if (!(x >= 0.0 && x <= 1.0)) {
            throw new LossInputException(Reason.PROBABILITY_OUT_OF_RANGE,
                    "input[" + index + "] = " + LogMath.describe(x) + " is outside [0, 1]");
        }
        if (!(t >= 0.0 && t <= 1.0)) {
            throw new LossInputException(Reason.PROBABILITY_OUT_OF_RANGE,
                    "target[" + index + "] = " + LogMath.describe(t) + " is outside [0, 1]");
        }
        return (t - 1.0) * LogMath.clampedLog1m(x) - t * LogMath.clampedLog(x) + 0.0;
    }

    private static int checkClasses(int numClasses) {
        if (numClasses < 1) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "binary cross-entropy needs at least 1 output, got "
                    + numClasses);
        }
        return numClasses;
    }

    private static double[] perClass(String name, double[] values, int numClasses) {
        if (values == null) {
            return null;
        }
        checkLength(name, values, numClasses);
        Weights.check(name, values);
        return values.clone();
    }

    private static void checkLength(String name, double[] values, int expected) {
        if (values != null && values.length != expected) {
            throw new LossInputException(Reason.SHAPE_MISMATCH,
                    name + " has " + values.length + " values, expected " + expected);
        }
    }
}
