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

    /**
     * PyTorch's mean from a sum of losses and its divisor: NaN whenever the divisor is 0. Every loss divides by a
     * divisor that is 0 only when nothing counts (all targets ignored, every target class weighing 0, no elements),
     * and then PyTorch returns NaN even where the numerator is not 0: with label smoothing, cross-entropy's mean is
     * {@code (1 - eps) * nll / d + eps / C * smooth / d}, and its nll part is 0/0 while the smoothing part is x/0.
     */
    public static double mean(double numerator, double denominator) {
        return denominator == 0.0 ? Double.NaN : numerator / denominator;
    }

    public String torchName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
