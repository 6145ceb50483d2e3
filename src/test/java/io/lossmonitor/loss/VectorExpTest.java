package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.SplittableRandom;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/**
 * The hand-written vector exp against the definition: its table is correctly rounded, its values are within the
 * accuracy the kernels promise, and its edges (range limits, NaN, infinities, exp(0)) are what the callers rely on.
 * (On a machine without 512-bit vectors the Vector API runs the same operations in Java, so this still tests the math.)
 */
class VectorExpTest {

    private static double[] exp(double... d) {
        double[] out = new double[d.length];
        for (int i = 0; i < d.length; i += 8) {
            double[] lanes = new double[8];
            System.arraycopy(d, i, lanes, 0, Math.min(8, d.length - i));
            double[] e = VectorExp.expOrInfinity(DoubleVector.fromArray(VectorExp.SPECIES, lanes, 0)).toArray();
            System.arraycopy(e, 0, out, i, Math.min(8, d.length - i));
        }
        return out;
    }

    @Test
    void theTableHoldsTheCorrectlyRoundedEighthPowersOfTwo() {
        // T is 2^(j/8) correctly rounded iff 2^j lies strictly between (T - ulp/2)^8 and (T + ulp/2)^8 (exact arithmetic).
        MathContext exact = MathContext.UNLIMITED;
        for (int j = 0; j < 8; j++) {
            double t = VectorExp.EXP2_EIGHTHS[j];
            BigDecimal halfUlp = new BigDecimal(Math.ulp(t)).divide(BigDecimal.valueOf(2), exact);
            BigDecimal below = new BigDecimal(t).subtract(halfUlp).pow(8, exact);
            BigDecimal above = new BigDecimal(t).add(halfUlp).pow(8, exact);
            BigDecimal twoToJ = BigDecimal.valueOf(1L << j);
            assertThat(below).as("2^(%d/8)", j).isLessThan(twoToJ);
            assertThat(above).as("2^(%d/8)", j).isGreaterThan(twoToJ);
        }
    }

    @Test
    void agreesWithStrictMathWithinOneUlpAcrossTheRange() {
        // StrictMath.exp (fdlibm) is within 1 ulp of the truth; so is VectorExp by its construction (see its Javadoc).
        // Measured here: the two differ by at most 1 ulp, i.e. VectorExp is as good as the reference everywhere tried.
        SplittableRandom random = new SplittableRandom(8);
        double[] d = new double[200_000];
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (i % 4) {
                case 0 -> random.nextDouble(-VectorExp.LIMIT, VectorExp.LIMIT);
                case 1 -> random.nextDouble(-1, 1);
                case 2 -> random.nextDouble(-40, 0); // the range of softmax terms that matter
                default -> (random.nextBoolean() ? 1 : -1) * random.nextDouble(VectorExp.LIMIT - 5, VectorExp.LIMIT);
            };
        }
        double[] e = exp(d);
        double worst = 0;
        for (int i = 0; i < d.length; i++) {
            double reference = StrictMath.exp(d[i]);
            worst = Math.max(worst, Math.abs(e[i] - reference) / Math.ulp(reference));
        }
        assertThat(worst).isLessThanOrEqualTo(1.0);
    }

    @Test
    void isExactWhereExpIsExactAndKeepsTinyAndHugeValuesNormal() {
        double[] e = exp(0.0, -0.0, Math.log(2), -VectorExp.LIMIT, VectorExp.LIMIT, 1e-300, -1e-17, 1e-17);
        assertThat(e[0]).isEqualTo(1.0);
        assertThat(e[1]).isEqualTo(1.0);
        assertThat(e[2]).isCloseTo(2.0, org.assertj.core.api.Assertions.within(Math.ulp(2.0)));
        assertThat(e[3]).isCloseTo(StrictMath.exp(-VectorExp.LIMIT),
                org.assertj.core.api.Assertions.within(Math.ulp(StrictMath.exp(-VectorExp.LIMIT))));
        assertThat(e[3]).isGreaterThanOrEqualTo(Double.MIN_NORMAL);
        assertThat(e[4]).isCloseTo(StrictMath.exp(VectorExp.LIMIT),
                org.assertj.core.api.Assertions.within(Math.ulp(StrictMath.exp(VectorExp.LIMIT))));
        assertThat(e[5]).isEqualTo(1.0);
        assertThat(e[6]).isEqualTo(1.0);
        assertThat(e[7]).isEqualTo(1.0);
    }

    @Test
    void termsOutsideTheRangeBecomeInfinityForTheCallersFallbackAndNaNStaysNaN() {
        double justOut = Math.nextUp(VectorExp.LIMIT);
        double[] e = exp(justOut, -justOut, 745.2, -745.2, 1e4, -1e4, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        assertThat(e).containsOnly(Double.POSITIVE_INFINITY);
        assertThat(exp(Double.NaN, 1, 2, 3, 4, 5, 6, 7)[0]).isNaN();
    }
}
