package io.lossmonitor.loss;

import io.lossmonitor.loss.LossInputException.Reason;

/** Validation shared by every weight-like argument. */
final class Weights {

    private Weights() {
    }

    /** Rejects NaN, infinite and negative values, naming the argument and element. */
    static void check(String name, double[] values) {
        for (int i = 0; i < values.length; i++) {
            double w = values[i];
            if (!(w >= 0.0) || w == Double.POSITIVE_INFINITY) {
                throw new LossInputException(Reason.INVALID_WEIGHT,
                        name + "[" + i + "] = " + LogMath.describe(w) + " must be a finite number >= 0");
            }
        }
    }
}
