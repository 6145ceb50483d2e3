package io.lossmonitor.loss;

/**
 * The inner loops of the losses, over one row of n scores. Two implementations give the same results to a few
 * ulps: the exact scalar loops, and {@code VectorKernels} (JDK Vector API, SIMD exp/log1p), used when the JVM was
 * started with {@code --add-modules jdk.incubator.vector} and a row is long enough to gain from it.
 */
interface Kernels {

    /** Rows shorter than this stay scalar: the vector setup costs more than it saves. */
    int VECTOR_MIN_LENGTH = 16;

    /** Whether every score is finite. */
    boolean allFinite(double[] x, int off, int n);

    /** The largest score. */
    double max(double[] x, int off, int n);

    /** The largest score if every score is finite, else NaN: the check and the max in one pass. */
    double finiteMax(double[] x, int off, int n);

    /**
     * {@code Σ exp(x_c - m)} over all classes but one class holding the maximum {@code m}: the maxima other than that
     * one add exactly 1 each, so the sum needs no arg-max and loses nothing to cancellation.
     */
    double tail(double[] x, int off, int n, double m);

    /**
     * {@code Σ_{c≠t} exp(x_c - x_t)}: cross-entropy at target t is {@code log1p} of it, in one pass and without the
     * maximum. NaN if any score is not finite; +inf when a term overflows (a loss above ~709, left to the max-based
     * path). Each term has the precision of exp, and a tiny sum (a confident, correct prediction) keeps its value.
     */
    double targetTail(double[] x, int off, int n, int t);

    /**
     * The two sums softmax(x)'s entropy and confidence are made of, around the row's maximum m (finite, no score NaN;
     * -inf scores allowed): {@code out[0]} is {@link #tail}, {@code out[1]} is {@code Σ exp(x_c - m)(x_c - m)}, in
     * one pass. A class at -inf adds 0 to both (its exp is 0; the product 0·-inf must not turn the sum NaN).
     */
    void softmaxSums(double[] x, int off, int n, double m, double[] out);

    /** {@code Σ w_c (m - x_c)}, with w all ones when null. */
    double shifted(double[] x, int off, int n, double m, double[] w);

    /**
     * The summed BCE-with-logits of a row, {@code Σ w_c [(1-t_c) softplus(x_c) + p_c t_c softplus(-x_c)]}, element
     * losses written to {@code out} when not null. Scores and targets must be finite (checked by the caller).
     */
    double bceLogitsRow(double[] x, int off, double[] t, int toff, int n, double[] w, double[] p, double[] out, int outOff);

    /** The kernels this JVM can run: vectorised when the incubator module is present, else scalar. */
    static Kernels best() {
        return KernelChoice.BEST;
    }
}
