package io.lossmonitor.loss;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the JDK Vector API: SIMD max, exp and log1p. The sums of exps behind softmax cross-entropy use
 * {@link VectorExp} on 8-lane (AVX-512) machines and the JDK's vector math library elsewhere, as does everything else.
 * Only loaded when the {@code jdk.incubator.vector} module is present; rows shorter than {@link #VECTOR_MIN_LENGTH}
 * (4 for the target tail, 2 for BCE, whose short rows are one masked vector) go to the scalar loops. Results agree
 * with the scalar ones to a few ulps (each exp and log1p is within 1 ulp).
 */
final class VectorKernels implements Kernels {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final ScalarKernels SCALAR = ScalarKernels.INSTANCE;
    /**
     * Target tails shorter than this are cheaper as scalar exps than as one masked vector; from this length on a
     * short row is one or two masked vectors. (BCE rows, an exp and a log1p per element, gain from two elements on.)
     */
    private static final int MASKED_MIN_LENGTH = 4;
    private static final int BCE_MASKED_MIN_LENGTH = 2;
    /** Rows from this length take {@link #bceLogitsTwoPass}; below it (measured at 100) its second pass costs more. */
    private static final int BCE_TWO_PASS_MIN_LENGTH = 256;
    /** {@link #bceLogitsTwoPass}' exp(-|x|) per element, per thread (the kernels are shared), grown to the widest row. */
    private static final ThreadLocal<double[]> BCE_TAILS = ThreadLocal.withInitial(() -> new double[256]);
    /**
     * {@link #laneSum}'s folds, lane i taking lane i + half, as constants (C2 trusts static final fields, not array
     * elements): for half = length / 2, / 4 and / 8, which covers every x86 and most ARM vector sizes.
     */
    private static final VectorShuffle<Double> FOLD_2 = fold(2);
    private static final VectorShuffle<Double> FOLD_4 = fold(4);
    private static final VectorShuffle<Double> FOLD_8 = fold(8);

    private static VectorShuffle<Double> fold(int parts) {
        int half = Math.max(1, S.length() / parts);
        return VectorShuffle.fromOp(S, lane -> (lane + half) % S.length());
    }

    /**
     * The sum of the lanes in one fixed order, a tree of halves ({@code ((l0 + l2) + (l1 + l3))} for four lanes).
     * Not {@code reduceLanes(ADD)}: the Vector API lets that add floating-point lanes in any order, and the
     * interpreter and C2 do add them differently, so one event's loss could differ in its last bit between two runs
     * of one JVM, or between the service and the loss CLI. Lanewise adds and rearranges compute alike in both.
     */
    static double laneSum(DoubleVector v) {
        int n = S.length();
        if (n > 8) {
            // Wider than any x86 vector: the same tree, in plain Java.
            double[] lanes = v.toArray();
            for (int half = n / 2; half >= 1; half /= 2) {
                for (int i = 0; i < half; i++) {
                    lanes[i] += lanes[i + half];
                }
            }
            return lanes[0];
        }
        if (n >= 2) {
            v = v.add(v.rearrange(FOLD_2));
        }
        if (n >= 4) {
            v = v.add(v.rearrange(FOLD_4));
        }
        if (n >= 8) {
            v = v.add(v.rearrange(FOLD_8));
        }
        return v.lane(0);
    }

    /** {@link #laneSum} of the lanes set in {@code mask} (the others count as +0.0, as {@code reduceLanes} takes them). */
    static double laneSum(DoubleVector v, VectorMask<Double> mask) {
        return laneSum(DoubleVector.zero(S).blend(v, mask));
    }

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
        double check = laneSum(finite);
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
        if (VectorExp.USABLE) {
            double fast = tailFastExp(x, off, n, m);
            if (fast < Double.POSITIVE_INFINITY) {
                return fast;
            }
        }
        return tailJdkExp(x, off, n, m);
    }

    /** {@link #tail} through {@link VectorExp}; +inf when a term lies below its range (sent to the JDK's exp). */
    private static double tailFastExp(double[] x, int off, int n, double m) {
        VectorSpecies<Double> s = VectorExp.SPECIES;
        int lanes = s.length();
        int full = n - n % lanes;
        DoubleVector sum = DoubleVector.zero(s);
        DoubleVector atMax = DoubleVector.zero(s);
        DoubleVector one = DoubleVector.broadcast(s, 1.0);
        for (int c = 0; c < full; c += lanes) {
            DoubleVector d = DoubleVector.fromArray(s, x, off + c).sub(m);
            VectorMask<Double> below = d.compare(VectorOperators.LT, 0.0);
            // Lanes at the maximum contribute 0 here and are counted instead (exp(0) = 1 exactly).
            sum = sum.add(VectorExp.expOrInfinity(d), below);
            atMax = atMax.add(one, below.not());
        }
        if (full < n) {
            VectorMask<Double> rest = s.indexInRange(full, n);
            DoubleVector d = DoubleVector.fromArray(s, x, off + full, rest).sub(m);
            VectorMask<Double> below = d.compare(VectorOperators.LT, 0.0).and(rest);
            sum = sum.add(VectorExp.expOrInfinity(d), below);
            atMax = atMax.add(one, rest.andNot(below));
        }
        int maxima = (int) laneSum(atMax);
        return laneSum(sum) + (maxima - 1);
    }

    private static double tailJdkExp(double[] x, int off, int n, double m) {
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
        double total = laneSum(sum);
        int maxima = (int) laneSum(atMax);
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
    public void softmaxSums(double[] x, int off, int n, double m, double[] out) {
        if (n < VECTOR_MIN_LENGTH) {
            SCALAR.softmaxSums(x, off, n, m, out);
            return;
        }
        if (!VectorExp.USABLE || !softmaxSumsFastExp(x, off, n, m, out)) {
            softmaxSumsJdkExp(x, off, n, m, out);
        }
    }

    /** {@link #softmaxSums} through {@link VectorExp}; false when a term lies below its range (a -inf score too). */
    private static boolean softmaxSumsFastExp(double[] x, int off, int n, double m, double[] out) {
        VectorSpecies<Double> s = VectorExp.SPECIES;
        int lanes = s.length();
        int full = n - n % lanes;
        DoubleVector sum = DoubleVector.zero(s);
        DoubleVector moment = DoubleVector.zero(s);
        DoubleVector atMax = DoubleVector.zero(s);
        DoubleVector one = DoubleVector.broadcast(s, 1.0);
        for (int c = 0; c < full; c += lanes) {
            DoubleVector d = DoubleVector.fromArray(s, x, off + c).sub(m);
            VectorMask<Double> below = d.compare(VectorOperators.LT, 0.0);
            DoubleVector e = VectorExp.expOrInfinity(d);
            sum = sum.add(e, below);
            moment = moment.add(e.mul(d), below);
            atMax = atMax.add(one, below.not());
        }
        if (full < n) {
            VectorMask<Double> rest = s.indexInRange(full, n);
            DoubleVector d = DoubleVector.fromArray(s, x, off + full, rest).sub(m);
            VectorMask<Double> below = d.compare(VectorOperators.LT, 0.0).and(rest);
            DoubleVector e = VectorExp.expOrInfinity(d);
            sum = sum.add(e, below);
            moment = moment.add(e.mul(d), below);
            atMax = atMax.add(one, rest.andNot(below));
        }
        double total = laneSum(sum);
        if (total == Double.POSITIVE_INFINITY) {
            return false;
        }
        out[0] = total + ((int) laneSum(atMax) - 1);
        out[1] = laneSum(moment);
        return true;
    }

    private static void softmaxSumsJdkExp(double[] x, int off, int n, double m, double[] out) {
        DoubleVector sum = DoubleVector.zero(S);
        DoubleVector moment = DoubleVector.zero(S);
        DoubleVector atMax = DoubleVector.zero(S);
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector d = DoubleVector.fromArray(S, x, off + c).sub(m);
            VectorMask<Double> below = d.compare(VectorOperators.LT, 0.0);
            DoubleVector e = d.lanewise(VectorOperators.EXP);
            sum = sum.add(e, below);
            moment = moment.add(e.mul(d), below.and(e.compare(VectorOperators.GT, 0.0)));
            atMax = atMax.add(one, below.not());
        }
        // The rest through the scalar loop, whose tail counts one maximum out (-1): this part's own maxima all count.
        SCALAR.softmaxSums(x, off + c, n - c, m, out);
        out[0] += laneSum(sum) + laneSum(atMax);
        out[1] += laneSum(moment);
    }

    @Override
    public double targetTail(double[] x, int off, int n, int t) {
        if (n < MASKED_MIN_LENGTH) {
            return SCALAR.targetTail(x, off, n, t);
        }
        if (VectorExp.USABLE) {
            double fast = targetTailFastExp(x, off, n, t);
            if (!Double.isInfinite(fast)) {
                return fast;
            }
        }
        return targetTailJdkExp(x, off, n, t);
    }

    /**
     * {@link #targetTail} through {@link VectorExp}; +inf when some term lies outside its range (a logit gap beyond
     * 708, or an infinite score), which sends the row to the JDK's exp. A NaN score makes the sum NaN by itself, so
     * no separate finiteness check is needed here.
     */
    private static double targetTailFastExp(double[] x, int off, int n, int t) {
        VectorSpecies<Double> s = VectorExp.SPECIES;
        int lanes = s.length();
        DoubleVector xt = DoubleVector.broadcast(s, x[off + t]);
        int targetBlock = t - t % lanes;
        int full = n - n % lanes;
        // Two plain loops around the target's block: with no branch and no mask in them, C2 keeps the exp's constants
        // in registers (one loop with the target test in it was compiled, depending on the profile, into one that
        // reloaded them every iteration: twice the time).
        DoubleVector sum = DoubleVector.zero(s);
        for (int c = 0; c < targetBlock; c += lanes) {
            sum = sum.add(VectorExp.expOrInfinity(DoubleVector.fromArray(s, x, off + c).sub(xt)));
        }
        for (int c = targetBlock + lanes; c < full; c += lanes) {
            sum = sum.add(VectorExp.expOrInfinity(DoubleVector.fromArray(s, x, off + c).sub(xt)));
        }
        // The target's own term, exp(0) = 1, is left out rather than subtracted: a tiny sum keeps its digits. Lanes
        // past the row read nothing and add nothing.
        VectorMask<Double> row = s.indexInRange(targetBlock, n);
        DoubleVector own = VectorExp.expOrInfinity(DoubleVector.fromArray(s, x, off + targetBlock, row).sub(xt));
        sum = sum.add(own, row.andNot(s.indexInRange(targetBlock - t, 1)));
        if (targetBlock < full && full < n) {
            VectorMask<Double> rest = s.indexInRange(full, n);
            sum = sum.add(VectorExp.expOrInfinity(DoubleVector.fromArray(s, x, off + full, rest).sub(xt)), rest);
        }
        return laneSum(sum);
    }

    private static double targetTailJdkExp(double[] x, int off, int n, int t) {
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
        double check = laneSum(finite);
        return check == 0.0 ? laneSum(sum) : Double.NaN;
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
        double sum = laneSum(acc);
        for (; c < n; c++) {
            sum += (w == null ? 1.0 : w[c]) * (m - x[off + c]);
        }
        return sum;
    }

    @Override
    public double bceLogitsRow(double[] x, int off, double[] t, int toff, int n, double[] w, double[] p,
                               double[] out, int outOff) {
        if (n < BCE_MASKED_MIN_LENGTH) {
            return SCALAR.bceLogitsRow(x, off, t, toff, n, w, p, out, outOff);
        }
        if (VectorExp.USABLE && n >= BCE_TWO_PASS_MIN_LENGTH) {
            // Scores and targets are finite, so a non-finite sum means a logit beyond VectorExp's range (|x| > 708):
            // the row is redone below with the JDK's exp (and the element losses written so far are overwritten).
            double fast = bceLogitsTwoPass(x, off, t, toff, n, w, p, out, outOff);
            if (Double.isFinite(fast)) {
                return fast;
            }
        }
        DoubleVector acc = DoubleVector.zero(S);
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        int c = 0;
        for (; c <= n - S.length(); c += S.length()) {
            DoubleVector xv = DoubleVector.fromArray(S, x, off + c);
            DoubleVector tv = DoubleVector.fromArray(S, t, toff + c);
            DoubleVector l = bceLogitsElements(xv, tv, p == null ? tv : tv.mul(DoubleVector.fromArray(S, p, c)),
                    softplusTail(xv), one);
            if (w != null) {
                l = l.mul(DoubleVector.fromArray(S, w, c));
            }
            if (out != null) {
                l.intoArray(out, outOff + c);
            }
            acc = acc.add(l);
        }
        return laneSum(acc) + bceLogitsRest(x, off, t, toff, c, n, w, p, out, outOff);
    }

    /**
     * BCE-with-logits of elements [from, n) of a row, fewer than a vector, as one masked vector: a scalar exp and
     * log1p per element cost more than the vector.
     */
    private static double bceLogitsRest(double[] x, int off, double[] t, int toff, int from, int n, double[] w,
                                        double[] p, double[] out, int outOff) {
        if (from >= n) {
            return 0.0;
        }
        VectorMask<Double> rest = S.indexInRange(from, n);
        DoubleVector xv = DoubleVector.fromArray(S, x, off + from, rest);
        DoubleVector tv = DoubleVector.fromArray(S, t, toff + from, rest);
        DoubleVector l = bceLogitsElements(xv, tv, p == null ? tv : tv.mul(DoubleVector.fromArray(S, p, from, rest)),
                softplusTail(xv), DoubleVector.broadcast(S, 1.0));
        if (w != null) {
            l = l.mul(DoubleVector.fromArray(S, w, from, rest));
        }
        if (out != null) {
            l.intoArray(out, outOff + from, rest);
        }
        return laneSum(l, rest);
    }

    /**
     * {@link #bceLogitsRow}'s full vectors in two passes: {@code exp(-|x|)} for the row with {@link VectorExp} into a
     * per-thread buffer, then the log1p (the JDK's) and the rest. Half the cost is the exp, and with the JDK's exp and
     * log1p both called in one loop the compiled loop's speed varied by a third from one JVM to the next (registers
     * saved around two calls per vector). The rest of the row takes the one-pass form.
     */
    private static double bceLogitsTwoPass(double[] x, int off, double[] t, int toff, int n, double[] w, double[] p,
                                           double[] out, int outOff) {
        VectorSpecies<Double> s = VectorExp.SPECIES;
        int lanes = s.length();
        int full = n - n % lanes;
        double[] tails = BCE_TAILS.get();
        if (tails.length < full) {
            tails = new double[Math.max(full, 2 * tails.length)];
            BCE_TAILS.set(tails);
        }
        for (int c = 0; c < full; c += lanes) {
            VectorExp.expOrInfinity(DoubleVector.fromArray(s, x, off + c).abs().neg()).intoArray(tails, c);
        }
        DoubleVector acc = DoubleVector.zero(s);
        DoubleVector one = DoubleVector.broadcast(s, 1.0);
        for (int c = 0; c < full; c += lanes) {
            DoubleVector xv = DoubleVector.fromArray(s, x, off + c);
            DoubleVector tv = DoubleVector.fromArray(s, t, toff + c);
            DoubleVector pt = p == null ? tv : tv.mul(DoubleVector.fromArray(s, p, c));
            DoubleVector l = bceLogitsElements(xv, tv, pt,
                    DoubleVector.fromArray(s, tails, c).lanewise(VectorOperators.LOG1P), one);
            if (w != null) {
                l = l.mul(DoubleVector.fromArray(s, w, c));
            }
            if (out != null) {
                l.intoArray(out, outOff + c);
            }
            acc = acc.add(l);
        }
        return laneSum(acc) + bceLogitsRest(x, off, t, toff, full, n, w, p, out, outOff);
    }

    /** {@code log1p(exp(-|x|))}, the part of softplus(x) and softplus(-x) they share. */
    private static DoubleVector softplusTail(DoubleVector x) {
        return x.abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P);
    }

    /**
     * {@code (1-t) softplus(x) + pt softplus(-x)} lane by lane, {@code pt} being t times the positive weight and
     * {@code shared} being {@link #softplusTail}.
     */
    private static DoubleVector bceLogitsElements(DoubleVector x, DoubleVector t, DoubleVector pt, DoubleVector shared,
                                                  DoubleVector one) {
        // softplus(±x) = max(±x, 0) + log1p(exp(-|x|)): one exp and one log1p serve both terms. max(x, 0) is a compare
        // and blend (Java's max, with its NaN and -0 rules, costs several instructions), and max(-x, 0) is exactly
        // max(x, 0) - x; the log1p term is added last, so a tiny softplus keeps its digits.
        DoubleVector relu = x.blend(0.0, x.compare(VectorOperators.LT, 0.0));
        DoubleVector spPos = relu.add(shared);
        DoubleVector spNeg = relu.sub(x).add(shared);
        return pt.fma(spNeg, one.sub(t).mul(spPos));
    }
}
