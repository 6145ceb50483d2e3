package io.lossmonitor.loss;

/** The few stable primitives every loss here is built from. */
final class LogMath {

    /** PyTorch clamps BCE's logs (and, here, logs of predicted probabilities) at this value. */
    static final double LOG_CLAMP = -100.0;

    private LogMath() {
    }

    /** {@code log(1 + exp(z))} without overflow for large z and without losing tiny values for very negative z. */
    static double softplus(double z) {
        return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /**
     * {@code log(1 + s)} for s >= 0 through the intrinsic {@code Math.log} (Kahan's correction: the rounding of
     * {@code 1 + s} is divided back out), within 2 ulps of {@code StrictMath.log1p} and about half its cost; a tiny
     * s is returned as it is, as log1p does. The per-row cost of small-C cross-entropy is mostly this and one exp.
     */
    static double log1p(double s) {
        double u = 1.0 + s;
        if (u == 1.0 || u == Double.POSITIVE_INFINITY) {
            return s;
        }
        return Math.log(u) * (s / (u - 1.0));
    }

    /** {@code max(log(p), -100)}. */
    static double clampedLog(double p) {
        return Math.max(Math.log(p), LOG_CLAMP);
    }

    /** {@code max(log(1 - p), -100)}, through log1p so that p near 0 keeps its precision. */
    static double clampedLog1m(double p) {
        return Math.max(Math.log1p(-p), LOG_CLAMP);
    }

    static String describe(double value) {
        return Double.isNaN(value) ? "NaN" : Double.toString(value);
    }
}
