package io.lossmonitor.loss;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the JDK Vector API: SIMD max, exp and log1p (the JDK's vector math library). Only loaded
 * when the {@code jdk.incubator.vector} module is present; rows shorter than {@link #VECTOR_MIN_LENGTH} go to the
 * scalar loops. Results agree with the scalar ones to a few ulps (the vector exp and log1p are within 1 ulp).
 */
final class VectorKernels implements Kernels {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final ScalarKernels SCALAR = ScalarKernels.INSTANCE;
    /** Shorter rows are cheaper as scalar exps than as one masked vector exp. */
    private static final int TARGET_TAIL_MIN_LENGTH = 4;

    @Override
    public boolean allFinite(double[] x, int off, int n) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.allFinite(x, off, n);
        }
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, off + c);
            if (!v.test(VectorOperators.IS_FINITE).allTrue()) {
                return false;
            }
        }
        for (; c < n; c++) {
            if (!Double.isFinite(x[off + c])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public double max(double[] x, int off, int n) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.max(x, off, n);
        }
        DoubleVector acc = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            acc = acc.max(DoubleVector.fromArray(S, x, off + c));
        }
        double m = acc.reduceLanes(VectorOperators.MAX);
        for (; c < n; c++) {
            m = Math.max(m, x[off + c]);
        }
        return m;
    }

    @Override
    public double finiteMax(double[] x, int off, int n) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.finiteMax(x, off, n);
        }
        // Java's max (NaN-propagating, -0 < +0) costs several instructions per vector; a compare-and-blend is one,
        // and the finiteness check is one fma (v * 0 + acc turns NaN for any infinite or NaN v).
        DoubleVector hi = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        DoubleVector finite = DoubleVector.zero(S);
        DoubleVector zero = DoubleVector.zero(S);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, off + c);
            hi = hi.blend(v, v.compare(VectorOperators.GT, hi));
            finite = v.fma(zero, finite);
        }
        double m = hi.reduceLanes(VectorOperators.MAX);
        double check = finite.reduceLanes(VectorOperators.ADD);
        for (; c < n; c++) {
            m = Math.max(m, x[off + c]);
            check += x[off + c] * 0.0;
        }
        return check == 0.0 ? m : Double.NaN;
    }

    @Override
    public double tail(double[] x, int off, int n, double m) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.tail(x, off, n, m);
        }
        DoubleVector sum = DoubleVector.zero(S);
        DoubleVector atMax = DoubleVector.zero(S);
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, off + c);
            VectorMask<Double> below = v.compare(VectorOperators.LT, m);
            // Lanes at the maximum contribute 0 here and are counted instead (exp(0) = 1 exactly).
            sum = sum.add(v.sub(m).lanewise(VectorOperators.EXP), below);
            atMax = atMax.add(one, below.not());
        }
        double total = sum.reduceLanes(VectorOperators.ADD);
        int maxima = (int) atMax.reduceLanes(VectorOperators.ADD);
        for (; c < n; c++) {
            double v = x[off + c];
            if (v < m) {
                total += Math.exp(v - m);
            } else {
                maxima++;
            }
        }
        return total + (maxima - 1);
    }

    @Override
    public double targetTail(double[] x, int off, int n, int t) {
        if (n < TARGET_TAIL_MIN_LENGTH) {
            return SCALAR.targetTail(x, off, n, t);
        }
        double xt = x[off + t];
        DoubleVector sum = DoubleVector.zero(S);
        // v * 0 + acc stays 0 for finite scores and turns NaN for any infinite or NaN one: the check costs one fma.
        DoubleVector finite = DoubleVector.zero(S);
        DoubleVector zero = DoubleVector.zero(S);
        int targetBlock = t - t % S.length();
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector v = DoubleVector.fromArray(S, x, off + c);
            finite = v.fma(zero, finite);
            DoubleVector e = v.sub(xt).lanewise(VectorOperators.EXP);
            if (c == targetBlock) {
                // The target's own term, exp(0) = 1, is left out rather than subtracted: a tiny sum keeps its digits.
                sum = sum.add(e, S.indexInRange(c - t, 1).not());
            } else {
                sum = sum.add(e);
            }
        }
        if (c < n) {
            // The rest of the row as one masked vector (lanes past it read nothing and add nothing): a short row is one
            // or two vector exps, not a scalar loop of them.
            VectorMask<Double> lanes = S.indexInRange(c, n);
            DoubleVector v = DoubleVector.fromArray(S, x, off + c, lanes);
            finite = v.fma(zero, finite);
            if (c == targetBlock) {
                lanes = lanes.andNot(S.indexInRange(c - t, 1));
            }
            sum = sum.add(v.sub(xt).lanewise(VectorOperators.EXP), lanes);
        }
        double check = finite.reduceLanes(VectorOperators.ADD);
        return check == 0.0 ? sum.reduceLanes(VectorOperators.ADD) : Double.NaN;
    }

    @Override
    public double shifted(double[] x, int off, int n, double m, double[] w) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.shifted(x, off, n, m, w);
        }
        DoubleVector acc = DoubleVector.zero(S);
        DoubleVector mv = DoubleVector.broadcast(S, m);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector d = mv.sub(DoubleVector.fromArray(S, x, off + c));
            acc = w == null ? acc.add(d) : d.fma(DoubleVector.fromArray(S, w, c), acc);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        for (; c < n; c++) {
            sum += (w == null ? 1.0 : w[c]) * (m - x[off + c]);
        }
        return sum;
    }

    @Override
    public double bceLogitsRow(double[] x, int off, double[] t, int toff, int n, double[] w, double[] p,
                               double[] out, int outOff) {
        if (n < VECTOR_MIN_LENGTH) {
            return SCALAR.bceLogitsRow(x, off, t, toff, n, w, p, out, outOff);
        }
        DoubleVector acc = DoubleVector.zero(S);
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector xv = DoubleVector.fromArray(S, x, off + c);
            DoubleVector tv = DoubleVector.fromArray(S, t, toff + c);
            // softplus(±x) = max(±x, 0) + log1p(exp(-|x|)): one exp and one log1p serve both terms.
            DoubleVector shared = xv.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P);
            DoubleVector spPos = xv.max(0.0).add(shared);
            DoubleVector spNeg = xv.neg().max(0.0).add(shared);
            DoubleVector pt = p == null ? tv : tv.mul(DoubleVector.fromArray(S, p, c));
            DoubleVector l = one.sub(tv).mul(spPos).add(pt.mul(spNeg));
            if (w != null) {
                l = l.mul(DoubleVector.fromArray(S, w, c));
            }
            if (out != null) {
                l.intoArray(out, outOff + c);
            }
            acc = acc.add(l);
        }
        double sum = acc.reduceLanes(VectorOperators.ADD);
        return sum + SCALAR.bceLogitsRange(x, off, t, toff, c, n, w, p, out, outOff);
    }
}
