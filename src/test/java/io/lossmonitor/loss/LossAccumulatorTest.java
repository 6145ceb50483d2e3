package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LossAccumulatorTest {

    @Test
    void aMillionTermsStayWithinOnePartInATrillionOfTheExactSum() {
        SplittableRandom random = new SplittableRandom(7);
        CompensatedSum sum = new CompensatedSum();
        BigDecimal exact = BigDecimal.ZERO;
        double naive = 0.0;
        for (int i = 0; i < 1_000_000; i++) {
            // Loss-like magnitudes over six decades, the case where plain summation drifts most.
            double term = Math.exp(random.nextDouble(-10, 4));
            sum.add(term);
            naive += term;
            exact = exact.add(new BigDecimal(term));
        }
        double reference = exact.round(MathContext.DECIMAL64).doubleValue();
        assertThat(Math.abs(sum.value() - reference) / reference).isLessThan(1e-15);
        // The same terms summed naively are measurably worse, which is why the windows keep compensated sums.
        assertThat(Math.abs(naive - reference)).isGreaterThan(Math.abs(sum.value() - reference));
    }

    @Test
    void retractingAContributionRestoresTheMean() {
        LossAccumulator acc = new LossAccumulator();
        acc.add(1.5, 1.0);
        acc.add(0.25, 2.0);
        double before = acc.mean();
        acc.add(1e6, 3.0);
        acc.retract(1e6, 3.0);
        assertThat(acc.mean()).isEqualTo(before);
        assertThat(acc.count()).isEqualTo(2);
        assertThat(before).isEqualTo(1.75 / 3.0);
    }

    @Test
    void persistedPartsRestoreTheSameState() {
        LossAccumulator acc = new LossAccumulator();
        acc.add(0.1, 1.0);
        acc.add(0.2, 1.0);
        acc.add(1e-17, 0.0);
        LossAccumulator restored = LossAccumulator.of(acc.numeratorSum().high(), acc.numeratorSum().low(),
                acc.denominatorSum().high(), acc.denominatorSum().low(), acc.count());
        assertThat(restored.numerator()).isEqualTo(acc.numerator());
        assertThat(restored.denominator()).isEqualTo(acc.denominator());
        assertThat(restored.count()).isEqualTo(3);
        // The exact sum of the three doubles, rounded once.
        double exact = new BigDecimal(0.1).add(new BigDecimal(0.2)).add(new BigDecimal(1e-17))
                .round(MathContext.DECIMAL128).doubleValue();
        assertThat(acc.numerator()).isEqualTo(exact);
    }

    @Test
    void aZeroDenominatorGivesNaNWhateverTheNumerator() {
        LossAccumulator acc = new LossAccumulator();
        assertThat(acc.mean()).isNaN();
        // A smoothed loss on a target whose class weighs 0 contributes a positive numerator and no denominator.
        acc.add(0.4, 0.0);
        assertThat(acc.mean()).isNaN();
        assertThat(acc.sum()).isEqualTo(0.4);
        acc.add(1.0, 2.0);
        assertThat(acc.mean()).isEqualTo(1.4 / 2.0);
    }

    @Test
    void labelSmoothingOnTargetsOfZeroWeightHasANaNMeanLikePyTorch() {
        // loss-semantics.md section 4: mean = (1 - eps) * nll / d + eps / C * smooth / d with d = sum of w[y_n]; with
        // every target class weighing 0, nll / d is 0/0 = NaN, so the mean is NaN, not +inf, while sum stays finite:
        // sum = eps / C * sum_c w_c * (-lp_c) for x = [1, 2, 3], y = 1, w = [1, 0, 1], eps = 0.2.
        CrossEntropy ce = CrossEntropy.builder(3).weight(new double[] {1.0, 0.0, 1.0}).labelSmoothing(0.2).build();
        double[] x = {1.0, 2.0, 3.0};
        int[] y = {1};
        assertThat(ce.reduceIndex(x, y, Reduction.MEAN)).isNaN();
        double logZ = 3.0 + Math.log1p(Math.exp(-1.0) + Math.exp(-2.0));
        double expectedSum = 0.2 / 3 * ((logZ - 1.0) + (logZ - 3.0));
        assertThat(ce.reduceIndex(x, y, Reduction.SUM)).isCloseTo(expectedSum, org.assertj.core.data.Offset.offset(1e-15));
        // One more sample whose target weighs 1 makes the divisor 1 and the mean finite: the two sums over it.
        double[] x2 = {1.0, 2.0, 3.0, 1.0, 2.0, 3.0};
        int[] y2 = {1, 2};
        assertThat(ce.reduceIndex(x2, y2, Reduction.MEAN)).isCloseTo(ce.reduceIndex(x2, y2, Reduction.SUM),
                org.assertj.core.data.Offset.offset(1e-15));
    }
}
