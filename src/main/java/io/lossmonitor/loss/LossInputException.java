package io.lossmonitor.loss;

/**
 * Input that a loss rejects, with a machine-readable {@link Reason} (used for dead-letter headers and metric
 * labels) and a message that names the offending element and value.
 *
 * <p>The loss core never answers invalid input with a silent NaN: the only NaN it returns is the one PyTorch
 * itself defines, a mean over a zero total weight.
 */
public final class LossInputException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Why an input was rejected. Stable names: they appear in dead-letter headers and metric labels. */
    public enum Reason {
        /** A score (logit, log-probability) is NaN or +inf, or every class of a row is masked with -inf. */
        NON_FINITE_SCORE,
        /**
         * A class masked with a -inf score (logit or log-probability) where PyTorch's loss is infinite or NaN: the
         * label's own class, or any masked class under label smoothing or a probability target.
         */
        MASKED_CLASS,
        /** A probability (score or target) is NaN or outside [0, 1]. */
        PROBABILITY_OUT_OF_RANGE,
        /** A probability row does not sum to 1 within the configured tolerance. */
        PROBABILITY_SUM,
        /** A soft or binary target is NaN or infinite. */
        NON_FINITE_TARGET,
        /** A class-index target is outside [0, C) and is not the ignore_index. */
        TARGET_OUT_OF_RANGE,
        /** Lengths or shapes do not agree (scores vs classes, target vs input, weight vs classes). */
        SHAPE_MISMATCH,
        /** A class weight, pos_weight or sample weight is negative, NaN or infinite. */
        INVALID_WEIGHT,
        /** label_smoothing is above 1 or NaN. */
        INVALID_LABEL_SMOOTHING,
        /** ignore_index is not allowed here (non-negative with probability targets). */
        INVALID_IGNORE_INDEX,
        /** Any other argument that the loss does not accept (reduction, parameter not defined for the loss). */
        INVALID_ARGUMENT
    }

    private final Reason reason;

    public LossInputException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
