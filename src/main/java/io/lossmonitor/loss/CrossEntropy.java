package io.lossmonitor.loss;

import io.lossmonitor.loss.LossInputException.Reason;

/**
 * {@code F.cross_entropy} and {@code F.nll_loss} for one model's configuration, in float64, one row (event) at a
 * time: class-index targets (with {@code weight}, {@code ignore_index}, {@code label_smoothing}) and probability
 * targets. Immutable and thread-safe; rows are read from primitive arrays and nothing is allocated per row.
 *
 * <p>Per row, with {@code nlp_c = -log p_c} (from {@link ScoreSpace}), weights {@code w} (1 when absent) and
 * smoothing {@code eps}:
 * <ul>
 *   <li>index target {@code y}: {@code (1-eps)·w[y]·nlp_y + (eps/C)·Σ_c w_c·nlp_c}; 0 when {@code y == ignore_index}
 *       (checked before the bounds check, so any integer may be the ignore index). Mean denominator {@code w[y]}
 *       (0 when ignored), so a batch mean is PyTorch's {@code Σ l / Σ_{not ignored} w[y]}.</li>
 *   <li>probability target {@code t} (not range-checked nor normalised, as in PyTorch):
 *       {@code Σ_c w_c·t'_c·nlp_c} with {@code t' = t(1-eps) + eps/C}. Mean denominator 1 (PyTorch divides by N,
 *       not by the weights).</li>
 * </ul>
 *
 * <p>On logits, {@code nlp_c = (m - x_c) + log1p(Σ_{c≠k} exp(x_c - m))}, where {@code k} is the arg-max and
 * {@code m} the max: the shift keeps logits of ±1e4 finite, and {@code log1p} keeps a tiny loss (a confident,
 * correct prediction) at its exact value, where PyTorch's {@code log(sum)} rounds it to a multiple of 1e-16.
 *
 * <p>Masked classes: a logit or log-probability of -inf is a class the model ruled out (softmax gives it
 * probability 0), and PyTorch's loss over such a row is finite as long as the masked class is not the target and
 * neither label smoothing nor a probability target reaches it. Those rows are scored exactly as PyTorch scores
 * them; where PyTorch's loss would be infinite or NaN (the target's class masked; any masked class with smoothing
 * or a soft target, where it computes {@code w·t·-inf} or {@code 0·-inf}) the row is rejected with
 * {@link Reason#MASKED_CLASS}. NaN, +inf and a row with every class masked are rejected as non-finite.
 */
public final class CrossEntropy {

    public static final int DEFAULT_IGNORE_INDEX = -100;
    /** Default allowed |Σp - 1| for {@link ScoreSpace#PROBABILITIES}: float32 softmax rows of C=1000 stay within it. */
    public static final double DEFAULT_PROBABILITY_SUM_TOLERANCE = 1e-4;

    private static final Kernels KERNELS = Kernels.best();

    private final int numClasses;
    private final double[] weight;
    private final double weightTotal;
    private final int ignoreIndex;
    private final double smoothing;
    private final ScoreSpace space;
    private final double probabilitySumTolerance;

    private CrossEntropy(Builder b) {
        this.numClasses = b.numClasses;
        this.weight = b.weight == null ? null : b.weight.clone();
        double total = numClasses;
        if (weight != null) {
            CompensatedSum s = new CompensatedSum();
            for (double w : weight) {
                s.add(w);
            }
            total = s.value();
        }
        this.weightTotal = total;
        this.ignoreIndex = b.ignoreIndex;
        // PyTorch treats any label_smoothing <= 0 as none.
        this.smoothing = b.labelSmoothing > 0.0 ? b.labelSmoothing : 0.0;
        this.space = b.space;
        this.probabilitySumTolerance = b.probabilitySumTolerance;
    }

    public static Builder builder(int numClasses) {
        return new Builder(numClasses);
    }

    public int numClasses() {
        return numClasses;
    }

    public ScoreSpace scoreSpace() {
        return space;
    }

    public int ignoreIndex() {
        return ignoreIndex;
    }

    /** The effective label smoothing (0 when the configured value was <= 0). */
    public double labelSmoothing() {
        return smoothing;
    }

    /** The class weight of {@code c} (1 without weights). */
    public double weight(int c) {
        return weight == null ? 1.0 : weight[c];
    }

    /**
     * The loss of one row with a class-index target: PyTorch's {@code reduction='none'} element.
     *
     * @throws LossInputException for a NaN or +inf score, a masked target class (or masked classes under label
     *                            smoothing), an invalid probability row, or a target out of range
     */
    public double indexLoss(double[] scores, int offset, int target) {
        checkRowBounds(scores, offset);
        switch (space) {
            case LOGITS: {
                if (smoothing == 0.0 && target >= 0 && target < numClasses && target != ignoreIndex) {
                    // The common case in one pass: log-sum-exp relative to the target's own logit needs no maximum.
                    // A non-finite score (NaN, or a masked class) or a loss past exp's range (+inf) takes the general
                    // path below.
                    double tail = KERNELS.targetTail(scores, offset, numClasses, target);
                    if (tail < Double.POSITIVE_INFINITY) {
                        return weight(target) * LogMath.log1p(tail);
                    }
                }
                double m = KERNELS.finiteMax(scores, offset, numClasses);
                boolean masked = m != m;
                if (masked) {
                    m = maskedMax(scores, offset);
                }
                if (target == ignoreIndex) {
                    return 0.0;
                }
                checkTarget(target);
                if (masked) {
                    checkMaskedIndexRow(scores, offset, target);
                }
                double logZ = Math.log1p(KERNELS.tail(scores, offset, numClasses, m));
                double nll = weight(target) * ((m - scores[offset + target]) + logZ);
                if (smoothing == 0.0) {
                    return nll;
                }
                double shifted = KERNELS.shifted(scores, offset, numClasses, m, weight);
                return (1.0 - smoothing) * nll + (smoothing / numClasses) * (shifted + logZ * weightTotal);
            }
            case LOG_PROBABILITIES:
            case PROBABILITIES: {
                boolean masked = validateNonLogitRow(scores, offset);
                if (target == ignoreIndex) {
                    return 0.0;
                }
                checkTarget(target);
                if (masked) {
                    checkMaskedIndexRow(scores, offset, target);
                }
                double nll = weight(target) * negLog(scores[offset + target]);
                if (smoothing == 0.0) {
                    return nll;
                }
                double uniform = 0.0;
                for (int c = 0; c < numClasses; c++) {
                    uniform += weight(c) * negLog(scores[offset + c]);
                }
                return (1.0 - smoothing) * nll + (smoothing / numClasses) * uniform;
            }
            default:
                throw new AssertionError(space);
        }
    }

    /**
     * Checks one row of scores as every loss method does (finite or masked with -inf; for probabilities, in [0, 1]
     * and summing to 1), without computing a loss. A row with a masked class is valid for class-index targets, and
     * rejected here when label smoothing is on: then no label but an ignored one could be scored against it.
     *
     * @throws LossInputException for an invalid row
     */
    public void validateScores(double[] scores, int offset) {
        checkRowBounds(scores, offset);
        boolean masked;
        if (space == ScoreSpace.LOGITS) {
            masked = !KERNELS.allFinite(scores, offset, numClasses);
            if (masked) {
                maskedMax(scores, offset);
            }
        } else {
            masked = validateNonLogitRow(scores, offset);
        }
        if (masked && smoothing > 0.0) {
            throw maskedUnderSmoothing(scores, offset);
        }
    }

    /**
     * The row's mean denominator for a class-index target: {@code weight[target]}, or 0 when ignored.
     *
     * @throws LossInputException when the target is out of range and not the ignore index
     */
    public double indexDenominator(int target) {
        if (target == ignoreIndex) {
            return 0.0;
        }
        checkTarget(target);
        return weight(target);
    }

    /**
     * The loss of one row with a probability ("soft") target of length C. Its mean denominator is 1.
     *
     * @throws LossInputException for non-finite scores (a masked class included: PyTorch's loss is then infinite or
     *                            NaN) or targets, an invalid probability row, or a non-negative ignore_index
     *                            (PyTorch does not support it with probability targets)
     */
    public double softLoss(double[] scores, int offset, double[] target, int targetOffset) {
        checkRowBounds(scores, offset);
        if (targetOffset < 0 || targetOffset + numClasses > target.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "probability target has " + (target.length - targetOffset)
                    + " values from offset " + targetOffset + ", expected " + numClasses);
        }
        if (ignoreIndex >= 0) {
            throw new LossInputException(Reason.INVALID_IGNORE_INDEX, "ignore_index is not supported for probability"
                    + " targets (got " + ignoreIndex + "); it must be negative");
        }
        for (int c = 0; c < numClasses; c++) {
            double t = target[targetOffset + c];
            if (!Double.isFinite(t)) {
                throw new LossInputException(Reason.NON_FINITE_TARGET,
                        "target[" + c + "] = " + LogMath.describe(t) + " is not finite");
            }
        }
        double keep = 1.0 - smoothing;
        double spread = smoothing / numClasses;
        double loss = 0.0;
        switch (space) {
            case LOGITS: {
                double m = KERNELS.finiteMax(scores, offset, numClasses);
                if (m != m) {
                    maskedMax(scores, offset);
                    throw maskedUnderSoftTarget(scores, offset);
                }
                double tail = KERNELS.tail(scores, offset, numClasses, m);
                double logZ = Math.log1p(tail);
                for (int c = 0; c < numClasses; c++) {
                    double t = smoothing == 0.0 ? target[targetOffset + c] : target[targetOffset + c] * keep + spread;
                    loss += weight(c) * t * ((m - scores[offset + c]) + logZ);
                }
                return loss;
            }
            case LOG_PROBABILITIES:
            case PROBABILITIES: {
                if (validateNonLogitRow(scores, offset)) {
                    throw maskedUnderSoftTarget(scores, offset);
                }
                for (int c = 0; c < numClasses; c++) {
                    double t = smoothing == 0.0 ? target[targetOffset + c] : target[targetOffset + c] * keep + spread;
                    loss += weight(c) * t * negLog(scores[offset + c]);
                }
                return loss;
            }
            default:
                throw new AssertionError(space);
        }
    }

    /** PyTorch's {@code reduction='none'} over {@code targets.length} rows of C scores each. */
    public double[] indexLosses(double[] rows, int[] targets) {
        checkBatch(rows, targets.length);
        double[] out = new double[targets.length];
        for (int n = 0; n < targets.length; n++) {
            try {
                out[n] = indexLoss(rows, n * numClasses, targets[n]) + 0.0;
            } catch (LossInputException e) {
                throw inRow(n, e);
            }
        }
        return out;
    }

    /** PyTorch's {@code mean} or {@code sum} over rows with class-index targets, through {@link LossAccumulator}. */
    public double reduceIndex(double[] rows, int[] targets, Reduction reduction) {
        checkBatch(rows, targets.length);
        LossAccumulator acc = new LossAccumulator();
        for (int n = 0; n < targets.length; n++) {
            try {
                acc.add(indexLoss(rows, n * numClasses, targets[n]), indexDenominator(targets[n]));
            } catch (LossInputException e) {
                throw inRow(n, e);
            }
        }
        return reduce(acc, reduction);
    }

    /** PyTorch's {@code reduction='none'} over rows with probability targets ({@code targets} has the rows' shape). */
    public double[] softLosses(double[] rows, double[] targets) {
        int n = batchRows(rows, targets);
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
            try {
                out[r] = softLoss(rows, r * numClasses, targets, r * numClasses) + 0.0;
            } catch (LossInputException e) {
                throw inRow(r, e);
            }
        }
        return out;
    }

    /** PyTorch's {@code mean} (divided by N) or {@code sum} over rows with probability targets. */
    public double reduceSoft(double[] rows, double[] targets, Reduction reduction) {
        int n = batchRows(rows, targets);
        LossAccumulator acc = new LossAccumulator();
        for (int r = 0; r < n; r++) {
            try {
                acc.add(softLoss(rows, r * numClasses, targets, r * numClasses), 1.0);
            } catch (LossInputException e) {
                throw inRow(r, e);
            }
        }
        return reduce(acc, reduction);
    }

    static double reduce(LossAccumulator acc, Reduction reduction) {
        switch (reduction) {
            case MEAN: return acc.mean();
            case SUM: return acc.sum() + 0.0;
            default: throw new LossInputException(Reason.INVALID_ARGUMENT,
                    "use the per-row method for reduction 'none'");
        }
    }

    static LossInputException inRow(int row, LossInputException e) {
        return new LossInputException(e.reason(), "row " + row + ": " + e.getMessage());
    }

    private double negLog(double score) {
        return space == ScoreSpace.PROBABILITIES ? -LogMath.clampedLog(score) : -score;
    }

    /** Checks a row of probabilities or log-probabilities; returns whether a log-probability masks a class. */
    private boolean validateNonLogitRow(double[] scores, int offset) {
        if (space == ScoreSpace.LOG_PROBABILITIES) {
            if (KERNELS.allFinite(scores, offset, numClasses)) {
                return false;
            }
            maskedMax(scores, offset);
            return true;
        }
        double plain = 0.0;
        for (int c = 0; c < numClasses; c++) {
            double p = scores[offset + c];
            if (!(p >= 0.0 && p <= 1.0)) {
                throw new LossInputException(Reason.PROBABILITY_OUT_OF_RANGE,
                        "probability[" + c + "] = " + LogMath.describe(p) + " is outside [0, 1]");
            }
            plain += p;
        }
        if (Math.abs(plain - 1.0) > probabilitySumTolerance) {
            throw new LossInputException(Reason.PROBABILITY_SUM, "probabilities sum to " + plain
                    + ", not 1 within the tolerance " + probabilitySumTolerance);
        }
        return false;
    }

    /**
     * The largest score of a row that is not all finite: -inf entries are masked classes; NaN, +inf, or every class
     * masked (softmax of nothing; PyTorch's loss is NaN) are errors.
     */
    private double maskedMax(double[] scores, int offset) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < numClasses; c++) {
            double x = scores[offset + c];
            if (x != x || x == Double.POSITIVE_INFINITY) {
                throw nonFinite(c, x);
            }
            m = Math.max(m, x);
        }
        if (m == Double.NEGATIVE_INFINITY) {
            throw new LossInputException(Reason.NON_FINITE_SCORE, "every class is masked: all " + numClasses
                    + " scores are -Infinity");
        }
        return m;
    }

    /** A masked row against a class-index target: the target's class must not be masked, nor smoothing be on. */
    private void checkMaskedIndexRow(double[] scores, int offset, int target) {
        if (scores[offset + target] == Double.NEGATIVE_INFINITY) {
            throw new LossInputException(Reason.MASKED_CLASS, "the target class " + target + " is masked (score["
                    + target + "] = -Infinity): its probability is 0 and the loss infinite");
        }
        if (smoothing > 0.0) {
            throw maskedUnderSmoothing(scores, offset);
        }
    }

    private LossInputException maskedUnderSmoothing(double[] scores, int offset) {
        int c = firstMasked(scores, offset);
        return new LossInputException(Reason.MASKED_CLASS, "class " + c + " is masked (score[" + c + "] = -Infinity)"
                + " and label smoothing " + smoothing + " gives every class a share of the target: the loss is"
                + " infinite");
    }

    private LossInputException maskedUnderSoftTarget(double[] scores, int offset) {
        int c = firstMasked(scores, offset);
        return new LossInputException(Reason.MASKED_CLASS, "class " + c + " is masked (score[" + c + "] = -Infinity),"
                + " which a probability target cannot take: PyTorch's loss is infinite, or NaN (0 * -inf)");
    }

    private int firstMasked(double[] scores, int offset) {
        for (int c = 0; c < numClasses; c++) {
            if (scores[offset + c] == Double.NEGATIVE_INFINITY) {
                return c;
            }
        }
        throw new AssertionError("no masked class");
    }

    private void checkTarget(int target) {
        if (target < 0 || target >= numClasses) {
            throw new LossInputException(Reason.TARGET_OUT_OF_RANGE, "target " + target + " is out of bounds: classes are 0.."
                    + (numClasses - 1) + " and ignore_index is " + ignoreIndex);
        }
    }

    private void checkRowBounds(double[] scores, int offset) {
        if (offset < 0 || offset + numClasses > scores.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "expected " + numClasses + " scores from offset " + offset
                    + ", got " + Math.max(0, scores.length - offset));
        }
    }

    private void checkBatch(double[] rows, int n) {
        if ((long) n * numClasses != rows.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, rows.length + " scores do not form " + n
                    + " rows of " + numClasses + " classes");
        }
    }

    private int batchRows(double[] rows, double[] targets) {
        if (rows.length != targets.length) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "probability targets have " + targets.length
                    + " values, the input has " + rows.length);
        }
        if (rows.length % numClasses != 0) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, rows.length + " scores do not form rows of "
                    + numClasses + " classes");
        }
        return rows.length / numClasses;
    }

    private static LossInputException nonFinite(int c, double x) {
        return new LossInputException(Reason.NON_FINITE_SCORE, "score[" + c + "] = " + LogMath.describe(x) + " is not finite");
    }

    /** Validated configuration; {@link #build()} rejects what PyTorch rejects, plus NaN and negative weights. */
    public static final class Builder {
        private final int numClasses;
        private double[] weight;
        private int ignoreIndex = DEFAULT_IGNORE_INDEX;
        private double labelSmoothing;
        private ScoreSpace space = ScoreSpace.LOGITS;
        private double probabilitySumTolerance = DEFAULT_PROBABILITY_SUM_TOLERANCE;

        private Builder(int numClasses) {
            this.numClasses = numClasses;
        }

        /** Per-class weights, exactly C of them; {@code null} for none. */
        public Builder weight(double[] weight) {
            this.weight = weight;
            return this;
        }

        public Builder ignoreIndex(int ignoreIndex) {
            this.ignoreIndex = ignoreIndex;
            return this;
        }

        /** In [0, 1]; values <= 0 mean none, as in PyTorch. */
        public Builder labelSmoothing(double labelSmoothing) {
            this.labelSmoothing = labelSmoothing;
            return this;
        }

        public Builder scores(ScoreSpace space) {
            this.space = space;
            return this;
        }

        public Builder probabilitySumTolerance(double tolerance) {
            this.probabilitySumTolerance = tolerance;
            return this;
        }

        public CrossEntropy build() {
            if (numClasses < 1) {
                throw new LossInputException(Reason.SHAPE_MISMATCH, "cross-entropy needs at least 1 class, got " + numClasses);
            }
            if (weight != null) {
                if (weight.length != numClasses) {
                    throw new LossInputException(Reason.SHAPE_MISMATCH, "weight has " + weight.length
                            + " values; it should be defined either for all " + numClasses + " classes or no classes");
                }
                Weights.check("weight", weight);
            }
            if (Double.isNaN(labelSmoothing) || labelSmoothing > 1.0) {
                throw new LossInputException(Reason.INVALID_LABEL_SMOOTHING,
                        "label_smoothing must be between 0.0 and 1.0 (got " + LogMath.describe(labelSmoothing) + ")");
            }
            if (!(probabilitySumTolerance >= 0.0) || Double.isInfinite(probabilitySumTolerance)) {
                throw new LossInputException(Reason.INVALID_ARGUMENT, "probability sum tolerance must be a finite"
                        + " number >= 0 (got " + LogMath.describe(probabilitySumTolerance) + ")");
            }
            return new CrossEntropy(this);
        }
    }
}
