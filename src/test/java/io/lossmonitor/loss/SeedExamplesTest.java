package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The published examples the project started from, through the loss core's own API. */
class SeedExamplesTest {

    /** |a - e| <= 1e-9|e| + atol, the golden cases' comparison. */
    private static void assertClose(double actual, double expected, double atol) {
        assertThat(actual).isCloseTo(expected, within(1e-9 * Math.abs(expected) + atol));
    }

    @Test
    void crossEntropyOnLogitsSum() {
        double[] logits = {2.0, -3.0, 0.8, 1.2, 1.5, -0.1, 0.9, -1.3};
        double sum = CrossEntropy.builder(4).build().reduceIndex(logits, new int[] {2, 1}, Reduction.SUM);
        assertClose(sum, 3.9579217042981325, 7.11e-15);
    }

    @Test
    void binaryCrossEntropyMeanClampsLogsBeforeMultiplying() {
        double[] input = {1, 0, 0.8, 0.1, 1, 1};
        double[] target = {1, 0, 1, 0, 1, 1};
        double mean = BinaryCrossEntropy.reduceElements(false, input, target, null, null, Reduction.MEAN);
        assertClose(mean, 0.05475067782867267, 3.55e-15);
        // By hand: the exact 0/1 inputs cost 0 because log(0) = -inf is clamped to -100 and then multiplied by a
        // zero target; only -log(0.8) and -log(1 - 0.1) remain, over 6 elements.
        assertThat(mean).isCloseTo((-Math.log(0.8) - Math.log(0.9)) / 6, within(1e-16));
    }

    /**
     * Published float32 output is [6.7153e-03, 3.5763e-07]; float64 gives 3.0796e-07 for the second row. The
     * second loss is log(1 + e^-15 + e^-20): in float32 that sum rounds to 1 + 3·2^-23, whose log is 3.5763e-07.
     */
    @Test
    void extremeLogitsInFloat64DifferFromThePublishedFloat32() {
        double[] logits = {-10, 10, 5, 10, -10, -5};
        double[] none = CrossEntropy.builder(3).build().indexLosses(logits, new int[] {1, 0});
        assertClose(none[0], 6.715350536476695e-3, 3.55e-15);
        assertClose(none[1], 3.079634267035234e-7, 3.55e-15);

        float sum32 = 1f + (float) Math.exp(-15) + (float) Math.exp(-20);
        assertThat(sum32).isEqualTo(1f + 3 * (float) Math.pow(2, -23));
        float published = (float) Math.log(sum32);
        assertThat((double) published).isCloseTo(3.5763e-07, within(5e-12));
        assertThat(none[1]).isNotCloseTo(published, within(1e-8));
    }

    @Test
    void extremeLogitsMeanAndSum() {
        double[] logits = {-10, 10, 5, 10, -10, -5};
        CrossEntropy ce = CrossEntropy.builder(3).build();
        assertClose(ce.reduceIndex(logits, new int[] {1, 0}, Reduction.MEAN), 3.357829249951699e-03, 3.55e-15);
        assertClose(ce.reduceIndex(logits, new int[] {1, 0}, Reduction.SUM), 6.715658499903398e-03, 7.11e-15);
    }
}
