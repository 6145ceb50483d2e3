package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Identities that hold for PyTorch's losses, checked on generated batches. Each property draws its batch from
 * a seed so a failure names a reproducible case.
 */
class LossIdentitiesProperties {

    private static final double REL = 1e-12;

    private static void assertClose(double actual, double expected, double rel) {
        assertThat(actual).isCloseTo(expected, within(rel * Math.max(1.0, Math.abs(expected))));
    }

    private static double[] logits(SplittableRandom r, int n, int c, double scale) {
        double[] x = new double[n * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextDouble(-scale, scale);
        }
        return x;
    }

    private static int[] targets(SplittableRandom r, int n, int c) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(c);
        }
        return y;
    }

    private static double[] oneHot(int[] y, int c) {
        double[] t = new double[y.length * c];
        for (int i = 0; i < y.length; i++) {
            t[i * c + y[i]] = 1.0;
        }
        return t;
    }

    @Property
    void oneHotProbabilityTargetsEqualIndexTargets(@ForAll long seed, @ForAll @IntRange(min = 1, max = 9) int n,
                                                   @ForAll @IntRange(min = 1, max = 12) int c,
                                                   @ForAll @DoubleRange(min = 0.0, max = 1.0) double smoothing) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = logits(r, n, c, 20);
        int[] y = targets(r, n, c);
        double[] t = oneHot(y, c);
        CrossEntropy ce = CrossEntropy.builder(c).labelSmoothing(smoothing).build();
        double[] index = ce.indexLosses(x, y);
        double[] soft = ce.softLosses(x, t);
        for (int i = 0; i < n; i++) {
            assertClose(soft[i], index[i], REL);
        }
        assertClose(ce.reduceSoft(x, t, Reduction.SUM), ce.reduceIndex(x, y, Reduction.SUM), REL);
        assertClose(ce.reduceSoft(x, t, Reduction.MEAN), ce.reduceIndex(x, y, Reduction.MEAN), REL);
    }

    @Property
    void bceWithLogitsEqualsBceOfTheSigmoid(@ForAll @DoubleRange(min = -8, max = 8) double x,
                                            @ForAll @DoubleRange(min = 0, max = 1) double t) {
        double sigmoid = 1.0 / (1.0 + Math.exp(-x));
        double onLogits = BinaryCrossEntropy.elementLosses(true, new double[] {x}, new double[] {t}, null, null)[0];
        double onProbs = BinaryCrossEntropy.elementLosses(false, new double[] {sigmoid}, new double[] {t}, null, null)[0];
        // sigmoid(x) rounds once; log1p(-sigmoid) magnifies that by up to 1/(1-sigmoid) ~ e^8.
        assertThat(onProbs).isCloseTo(onLogits, within(1e-12 * Math.exp(Math.abs(x)) + 1e-15));
    }

    @Property
    void labelSmoothingZeroIsPlainCrossEntropy(@ForAll long seed, @ForAll @IntRange(min = 1, max = 9) int n,
                                               @ForAll @IntRange(min = 2, max = 12) int c) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = logits(r, n, c, 30);
        int[] y = targets(r, n, c);
        double[] w = new double[c];
        for (int i = 0; i < c; i++) {
            w[i] = r.nextDouble(0, 5);
        }
        double[] plain = CrossEntropy.builder(c).weight(w).build().indexLosses(x, y);
        double[] zero = CrossEntropy.builder(c).weight(w).labelSmoothing(0.0).build().indexLosses(x, y);
        assertThat(zero).containsExactly(plain);
    }

    @Property
    void permutingClassesWithTargetsChangesNothing(@ForAll long seed, @ForAll @IntRange(min = 1, max = 9) int n,
                                                   @ForAll @IntRange(min = 2, max = 12) int c,
                                                   @ForAll @DoubleRange(min = 0.0, max = 1.0) double smoothing) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = logits(r, n, c, 20);
        int[] y = targets(r, n, c);
        double[] w = new double[c];
        for (int i = 0; i < c; i++) {
            w[i] = r.nextDouble(0.1, 5);
        }
        int[] perm = new int[c];
        for (int i = 0; i < c; i++) {
            perm[i] = i;
        }
        for (int i = c - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        // Class k moves to position perm[k]: its logits, its weight and the targets naming it.
        double[] px = new double[x.length];
        double[] pw = new double[c];
        int[] py = new int[n];
        for (int k = 0; k < c; k++) {
            pw[perm[k]] = w[k];
            for (int i = 0; i < n; i++) {
                px[i * c + perm[k]] = x[i * c + k];
            }
        }
        for (int i = 0; i < n; i++) {
            py[i] = perm[y[i]];
        }
        CrossEntropy ce = CrossEntropy.builder(c).weight(w).labelSmoothing(smoothing).build();
        CrossEntropy permuted = CrossEntropy.builder(c).weight(pw).labelSmoothing(smoothing).build();
        double[] a = ce.indexLosses(x, y);
        double[] b = permuted.indexLosses(px, py);
        for (int i = 0; i < n; i++) {
            assertClose(b[i], a[i], REL);
        }
        assertClose(permuted.reduceIndex(px, py, Reduction.MEAN), ce.reduceIndex(x, y, Reduction.MEAN), REL);
    }

    @Property
    void mergingAccumulatorsInAnyGroupingGivesTheBatchMean(@ForAll long seed,
                                                           @ForAll @IntRange(min = 1, max = 200) int n,
                                                           @ForAll @IntRange(min = 1, max = 8) int groups) {
        SplittableRandom r = new SplittableRandom(seed);
        int c = 5;
        double[] x = logits(r, n, c, 10);
        int[] y = targets(r, n, c);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(5) == 0) {
                y[i] = -100;
            }
        }
        double[] w = {0.5, 1, 2, 3, 0.25};
        CrossEntropy ce = CrossEntropy.builder(c).weight(w).labelSmoothing(0.1).build();
        LossAccumulator[] parts = new LossAccumulator[groups];
        for (int g = 0; g < groups; g++) {
            parts[g] = new LossAccumulator();
        }
        for (int i = 0; i < n; i++) {
            parts[r.nextInt(groups)].add(ce.indexLoss(x, i * c, y[i]), ce.indexDenominator(y[i]));
        }
        // Merge in a random tree order.
        int live = groups;
        while (live > 1) {
            int a = r.nextInt(live);
            int b = r.nextInt(live - 1);
            if (b >= a) {
                b++;
            }
            parts[a].merge(parts[b]);
            parts[b] = parts[live - 1];
            if (a == live - 1) {
                a = b;
            }
            live--;
        }
        double batch = ce.reduceIndex(x, y, Reduction.MEAN);
        if (Double.isNaN(batch)) {
            assertThat(parts[0].mean()).isNaN();
        } else {
            assertClose(parts[0].mean(), batch, 1e-14);
        }
        assertThat(parts[0].count()).isEqualTo(n);
    }

    @Property
    void extremeLogitsNeverGiveNanOrInfinity(@ForAll long seed, @ForAll @IntRange(min = 1, max = 64) int c,
                                             @ForAll @DoubleRange(min = 0.0, max = 1.0) double smoothing) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[c];
        for (int i = 0; i < c; i++) {
            x[i] = r.nextBoolean() ? r.nextDouble(-1e4, 1e4) : (r.nextBoolean() ? 1e4 : -1e4);
        }
        int y = r.nextInt(c);
        double index = CrossEntropy.builder(c).labelSmoothing(smoothing).build().indexLoss(x, 0, y);
        double[] t = new double[c];
        t[y] = 1;
        double soft = CrossEntropy.builder(c).labelSmoothing(smoothing).build().softLoss(x, 0, t, 0);
        double bce = BinaryCrossEntropy.onLogits(c, null, null).rowLoss(x, 0, t, 0, null, 0);
        assertThat(index).isFinite().isGreaterThanOrEqualTo(0.0);
        assertThat(soft).isFinite().isGreaterThanOrEqualTo(0.0);
        assertThat(bce).isFinite().isGreaterThanOrEqualTo(0.0);
    }
}
