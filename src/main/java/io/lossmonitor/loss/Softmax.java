package io.lossmonitor.loss;

/**
 * What the scorer reports about a multi-class prediction given as logits, besides its loss: the predicted class,
 * its probability (the confidence) and the Shannon entropy of softmax(x), through the same kernels as the losses
 * (SIMD exp where the JVM has the vector module).
 *
 * <p>With m the largest logit, S' = Σ exp(x_c - m) over the other classes and M = Σ exp(x_c - m)(x_c - m):
 * log Z = m + log1p(S'), the confidence is 1 / (1 + S'), and the entropy is
 * -Σ p_c log p_c = log1p(S') - M / (1 + S') (log1p keeps a near-certain prediction's tiny entropy exact). A class at
 * -inf (masked out) has probability 0 and adds nothing; a NaN or +inf logit, or a row all -inf, makes the statistics
 * NaN.
 *
 * @param predicted the first class with the largest logit (a NaN after the first class is never the largest; with a
 *                  NaN in the row the statistics are NaN anyway)
 * @param confidence the predicted class's probability
 * @param entropy the entropy in nats, never below 0
 * @param logPartition log Σ exp(x_c), so that log p_c = x_c - logPartition
 */
public record Softmax(int predicted, double confidence, double entropy, double logPartition) {

    private static final Kernels KERNELS = Kernels.best();

    /** The statistics of softmax(x). */
    public static Softmax of(double[] x) {
        int predicted = 0;
        double m = x.length == 0 ? Double.NaN : x[0];
        boolean nan = false;
        for (int c = 1; c < x.length; c++) {
            double v = x[c];
            if (v > m) {
                m = v;
                predicted = c;
            }
            nan |= v != v;
        }
        if (nan || !Double.isFinite(m)) {
            return new Softmax(predicted, Double.NaN, Double.NaN, Double.NaN);
        }
        double[] sums = new double[2];
        KERNELS.softmaxSums(x, 0, x.length, m, sums);
        double others = sums[0];
        double logS = Math.log1p(others);
        return new Softmax(predicted, 1 / (1 + others), Math.max(logS - sums[1] / (1 + others), 0.0), m + logS);
    }
}
