package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.loss.LossInputException.Reason;
import java.util.SplittableRandom;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Classes masked with a -inf score, as a model rules them out (PyTorch's softmax gives them probability 0): scored
 * where PyTorch's loss is finite, rejected with {@link Reason#MASKED_CLASS} where it is infinite or NaN.
 *
 * <p>The expected values come from an identity: masking a class is dropping it from the softmax, so a row with masked
 * classes scores as the row without them, its target re-indexed.
 */
class MaskedClassesTest {

    private static final double NEG_INF = Double.NEGATIVE_INFINITY;

    private static void rejects(ThrowingCallable call, Reason reason, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(LossInputException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    /** C from below to above the vector kernels' row length, and long rows. */
    @ParameterizedTest
    @ValueSource(ints = {3, 10, 17, 40, 300})
    void aMaskedClassScoresAsIfItWereDropped(int classes) {
        SplittableRandom random = new SplittableRandom(classes);
        for (int trial = 0; trial < 200; trial++) {
            double[] x = new double[classes];
            boolean[] masked = new boolean[classes];
            int target = random.nextInt(classes);
            int kept = 0;
            for (int c = 0; c < classes; c++) {
                x[c] = random.nextGaussian() * (trial % 4 == 0 ? 30 : 3);
                masked[c] = c != target && random.nextInt(3) == 0;
                if (masked[c]) {
                    x[c] = NEG_INF;
                } else {
                    kept++;
                }
            }
            double[] weight = new double[classes];
            double[] keptX = new double[kept];
            double[] keptWeight = new double[kept];
            int keptTarget = -1;
            for (int c = 0, k = 0; c < classes; c++) {
                weight[c] = 0.25 + random.nextDouble();
                if (!masked[c]) {
                    if (c == target) {
                        keptTarget = k;
                    }
                    keptX[k] = x[c];
                    keptWeight[k++] = weight[c];
                }
            }
            CrossEntropy all = CrossEntropy.builder(classes).weight(weight).build();
            CrossEntropy dropped = CrossEntropy.builder(kept).weight(keptWeight).build();
            double expected = dropped.indexLoss(keptX, 0, keptTarget);
            assertThat(all.indexLoss(x, 0, target)).as("trial %d", trial)
                    .isCloseTo(expected, within(1e-14 * Math.max(1.0, Math.abs(expected))));
            all.validateScores(x, 0);
            // The same row as log-probabilities: nll_loss reads the target's entry only, -w[y]·x[y].
            double[] logProbs = x.clone();
            double logZ = logSumExp(keptX);
            for (int c = 0; c < classes; c++) {
                logProbs[c] = x[c] - logZ;
            }
            CrossEntropy nll = CrossEntropy.builder(classes).weight(weight).scores(ScoreSpace.LOG_PROBABILITIES).build();
            assertThat(nll.indexLoss(logProbs, 0, target)).isEqualTo(-weight[target] * logProbs[target]);
            nll.validateScores(logProbs, 0);
        }
    }

    private static double logSumExp(double[] x) {
        double m = NEG_INF;
        for (double v : x) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (double v : x) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    @Test
    void aBatchMeanOverMaskedRowsIsTheMeanOverTheRowsWithoutTheMaskedClasses() {
        CrossEntropy ce = CrossEntropy.builder(3).build();
        double[] rows = {2.0, NEG_INF, 0.5, -1.0, 1.0, NEG_INF, 0.0, 0.0, 0.0};
        // By hand: log(1 + e^-1.5), log(1 + e^-2) (target 1 of [-1, 1]), log 3.
        double expected = (Math.log1p(Math.exp(-1.5)) + Math.log1p(Math.exp(-2.0)) + Math.log(3.0)) / 3;
        assertThat(ce.reduceIndex(rows, new int[] {0, 1, 2}, Reduction.MEAN)).isCloseTo(expected, within(1e-15));
    }

    @Test
    void theTargetsOwnClassMaskedIsAnInfiniteLoss() {
        CrossEntropy ce = CrossEntropy.builder(3).build();
        rejects(() -> ce.indexLoss(new double[] {2.0, NEG_INF, 0.5}, 0, 1), Reason.MASKED_CLASS,
                "the target class 1 is masked (score[1] = -Infinity)");
        CrossEntropy nll = CrossEntropy.builder(3).scores(ScoreSpace.LOG_PROBABILITIES).build();
        rejects(() -> nll.indexLoss(new double[] {-0.2, NEG_INF, -1.7}, 0, 1), Reason.MASKED_CLASS,
                "the target class 1 is masked");
        // An ignored target reads no score: 0, as PyTorch's nll kernel skips the row.
        assertThat(CrossEntropy.builder(3).ignoreIndex(1).build().indexLoss(new double[] {2.0, NEG_INF, 0.5}, 0, 1))
                .isZero();
    }

    @Test
    void labelSmoothingReachesEveryClassSoAMaskedOneIsRejected() {
        CrossEntropy smoothed = CrossEntropy.builder(3).labelSmoothing(0.1).build();
        double[] row = {2.0, NEG_INF, 0.5};
        rejects(() -> smoothed.indexLoss(row, 0, 0), Reason.MASKED_CLASS, "label smoothing 0.1");
        rejects(() -> smoothed.validateScores(row, 0), Reason.MASKED_CLASS, "class 1 is masked");
        // PyTorch zeroes an ignored row's smoothing term too.
        assertThat(CrossEntropy.builder(3).labelSmoothing(0.1).ignoreIndex(-1).build().indexLoss(row, 0, -1)).isZero();
        // label_smoothing <= 0 is none, as in PyTorch.
        CrossEntropy none = CrossEntropy.builder(3).labelSmoothing(-0.5).build();
        none.validateScores(row, 0);
        assertThat(none.indexLoss(row, 0, 0)).isCloseTo(Math.log1p(Math.exp(-1.5)), within(1e-15));
    }

    @Test
    void aProbabilityTargetCannotTakeAMaskedClass() {
        CrossEntropy ce = CrossEntropy.builder(3).build();
        rejects(() -> ce.softLoss(new double[] {2.0, NEG_INF, 0.5}, 0, new double[] {0.5, 0.0, 0.5}, 0),
                Reason.MASKED_CLASS, "which a probability target cannot take");
        CrossEntropy nll = CrossEntropy.builder(3).scores(ScoreSpace.LOG_PROBABILITIES).build();
        rejects(() -> nll.softLoss(new double[] {-0.2, NEG_INF, -1.7}, 0, new double[] {1, 0, 0}, 0),
                Reason.MASKED_CLASS, "class 1 is masked");
    }

    @Test
    void nanPlusInfinityAndAllMaskedStayNonFinite() {
        CrossEntropy ce = CrossEntropy.builder(3).build();
        rejects(() -> ce.indexLoss(new double[] {NEG_INF, Double.NaN, 0.5}, 0, 2), Reason.NON_FINITE_SCORE,
                "score[1] = NaN");
        rejects(() -> ce.indexLoss(new double[] {NEG_INF, 1.0, Double.POSITIVE_INFINITY}, 0, 1), Reason.NON_FINITE_SCORE,
                "score[2] = Infinity");
        rejects(() -> ce.indexLoss(new double[] {NEG_INF, NEG_INF, NEG_INF}, 0, 0), Reason.NON_FINITE_SCORE,
                "every class is masked");
        rejects(() -> ce.validateScores(new double[] {NEG_INF, NEG_INF, NEG_INF}, 0), Reason.NON_FINITE_SCORE,
                "every class is masked");
        CrossEntropy nll = CrossEntropy.builder(2).scores(ScoreSpace.LOG_PROBABILITIES).build();
        rejects(() -> nll.validateScores(new double[] {NEG_INF, Double.NaN}, 0), Reason.NON_FINITE_SCORE,
                "score[1] = NaN");
        // A logit of -inf in BCE-with-logits gives NaN or +inf in PyTorch: still not a score.
        rejects(() -> BinaryCrossEntropy.onLogits(1, null, null).rowLoss(new double[] {NEG_INF}, 0,
                new double[] {0}, 0, null, 0), Reason.NON_FINITE_SCORE, "input[0] = -Infinity");
    }
}
