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
}
