package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogMathTest {

    @Test
    void log1pIsWithinTwoUlpsOfStrictMathFromTinyToHuge() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 1_000_000; i++) {
            double s = Math.pow(10, random.nextDouble(-300, 300));
            double expected = StrictMath.log1p(s);
            assertThat(Math.abs(LogMath.log1p(s) - expected)).as("log1p(%s)", s).isLessThanOrEqualTo(2 * Math.ulp(expected));
        }
    }

    @Test
    void log1pKeepsTinyValuesAndTheEdges() {
        // log1p(s) = s - s^2/2 + ...: below 2^-53 the second term is under half an ulp of s.
        assertThat(LogMath.log1p(1e-20)).isEqualTo(1e-20);
        assertThat(LogMath.log1p(Double.MIN_VALUE)).isEqualTo(Double.MIN_VALUE);
        assertThat(LogMath.log1p(0.0)).isEqualTo(0.0);
        assertThat(LogMath.log1p(Double.POSITIVE_INFINITY)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(LogMath.log1p(Math.E - 1)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(2 * Math.ulp(1.0)));
        assertThat(LogMath.log1p(Double.NaN)).isNaN();
    }
}
