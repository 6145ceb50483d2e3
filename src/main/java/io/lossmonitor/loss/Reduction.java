package io.lossmonitor.loss;

import java.util.Locale;

/** PyTorch's {@code reduction} argument. */
public enum Reduction {
    NONE, MEAN, SUM;

    /** Parses {@code "none" | "mean" | "sum"} exactly as PyTorch spells them; anything else is rejected. */
    public static Reduction parse(String text) {
        if (text != null) {
            switch (text) {
                case "none": return NONE;
                case "mean": return MEAN;
                case "sum": return SUM;
                default: break;
            }
        }
        throw new LossInputException(LossInputException.Reason.INVALID_ARGUMENT,
                "reduction must be one of none, mean, sum (got " + (text == null ? "null" : "'" + text + "'") + ")");
    }

    public String torchName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
