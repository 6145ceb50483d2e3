package io.lossmonitor.topology.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.schema.OutputKind;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A prediction's statistics from logits in one pass, against the definitions over its log-probabilities. */
class DistributionTest {

    @Test
    void matchesTheDefinitionsOverLogProbabilities() {
        Random r = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            int classes = 2 + r.nextInt(300);
            double scale = new double[] {0.1, 1, 5, 50}[trial % 4];
            double[] logits = r.doubles(classes, -scale, scale).toArray();
            Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, logits);
            double[] lp = Scorer.logProbabilities(OutputKind.LOGITS, logits);
            int predicted = Scorer.argmax(logits);
            assertThat(d.predicted()).isEqualTo(predicted);
            // 1 / S rounds once; exp(x - log Z) carries log Z's rounding, amplified by exp: a few ulps apart.
            assertThat(d.confidence()).isCloseTo(Math.exp(lp[predicted]), within(1e-14));
            double h = Scorer.entropy(lp);
            // The sum over log-probabilities is itself only good to about 1e-15 absolute (its terms cancel when the
            // prediction is nearly certain; the next test checks that case against an exact value).
            assertThat(d.entropy()).isCloseTo(h, within(1e-12 * h + 1e-14));
            int c = r.nextInt(classes);
            assertThat(d.logProbability(c)).isCloseTo(lp[c], within(1e-12 * Math.max(1, Math.abs(lp[c]))));
        }
    }

    @Test
    void aNearlyCertainPredictionKeepsItsTinyEntropy() {
        // Two classes, logits 0 and -40: p = 1 / (1 + e^40), and the entropy is the Bernoulli entropy of p, about
        // 41 p. Summing -p log p over log-probabilities rounded to 0 and -40 would give 40 p instead.
        double p = 1 / (1 + Math.exp(40));
        Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, new double[] {0, -40});
        assertThat(d.entropy()).isCloseTo(Scorer.binaryEntropy(p), within(1e-12 * Scorer.binaryEntropy(p)));
        assertThat(d.confidence()).isEqualTo(1 / (1 + Math.exp(-40)));
    }

    @Test
    void logitsFarApartNeitherOverflowNorGiveNaN() {
        Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, new double[] {1e4, -1e4, 0});
        assertThat(d.predicted()).isZero();
        assertThat(d.confidence()).isEqualTo(1.0);
        assertThat(d.entropy()).isZero();
        assertThat(d.logProbability(1)).isEqualTo(-2e4);
    }

    @Test
    void otherOutputsGoThroughTheirLogProbabilities() {
        double[] probabilities = {0.2, 0.5, 0.3};
        Scorer.Distribution d = Scorer.Distribution.of(OutputKind.PROBABILITIES, probabilities);
        assertThat(d.predicted()).isEqualTo(1);
        assertThat(d.confidence()).isCloseTo(0.5, within(1e-15));
        assertThat(d.entropy()).isCloseTo(-(0.2 * Math.log(0.2) + 0.5 * Math.log(0.5) + 0.3 * Math.log(0.3)),
                within(1e-15));
        assertThat(d.logProbability(2)).isEqualTo(Math.log(0.3));
    }

    @Test
    void aMaskedClassAtMinusInfinityHasProbabilityZeroAndAddsNothing() {
        // Masking a class with a -inf logit leaves the distribution over the others as it was (softmax's definition);
        // 0 * -inf in the entropy's sum had made it NaN.
        Scorer.Distribution two = Scorer.Distribution.of(OutputKind.LOGITS, new double[] {0, Double.NEGATIVE_INFINITY, 0});
        assertThat(two.confidence()).isEqualTo(0.5);
        assertThat(two.entropy()).isCloseTo(Math.log(2), within(1e-15));
        assertThat(two.logProbability(1)).isEqualTo(Double.NEGATIVE_INFINITY);
        // The same row as log-probabilities (log_softmax's output keeps the -inf).
        Scorer.Distribution logProbs = Scorer.Distribution.of(OutputKind.LOG_PROBABILITIES,
                new double[] {-Math.log(2), Double.NEGATIVE_INFINITY, -Math.log(2)});
        assertThat(logProbs.predicted()).isZero();
        assertThat(logProbs.confidence()).isCloseTo(0.5, within(1e-15));
        assertThat(logProbs.entropy()).isCloseTo(Math.log(2), within(1e-15));
        Random r = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            // Long rows take the vector kernels' path for rows whose exp leaves the fast range.
            int classes = 16 + r.nextInt(200);
            double[] kept = r.doubles(classes, -8, 8).toArray();
            double[] masked = new double[classes + 5];
            int[] at = r.ints(5, 0, classes + 5).distinct().sorted().toArray();
            for (int i = 0, k = 0, a = 0; i < masked.length; i++) {
                masked[i] = a < at.length && at[a] == i ? Double.NEGATIVE_INFINITY : k < classes ? kept[k++] : -30;
                if (a < at.length && at[a] == i) {
                    a++;
                }
            }
            double[] finite = java.util.Arrays.stream(masked).filter(Double::isFinite).toArray();
            Scorer.Distribution expected = Scorer.Distribution.of(OutputKind.LOGITS, finite);
            Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, masked);
            assertThat(d.confidence()).isCloseTo(expected.confidence(), within(1e-14));
            assertThat(d.entropy()).isCloseTo(expected.entropy(), within(1e-12 * expected.entropy()));
            assertThat(masked[d.predicted()]).isEqualTo(finite[expected.predicted()]);
        }
    }

    @Test
    void equalLogitsGiveTheUniformDistribution() {
        for (int classes : new int[] {2, 7, 16, 37, 300}) {
            double[] logits = new double[classes];
            java.util.Arrays.fill(logits, 1.25);
            Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, logits);
            assertThat(d.predicted()).isZero();
            assertThat(d.confidence()).isCloseTo(1.0 / classes, within(1e-16));
            assertThat(d.entropy()).isCloseTo(Math.log(classes), within(1e-14));
            assertThat(d.logProbability(classes - 1)).isCloseTo(-Math.log(classes), within(1e-14));
        }
    }

    @Test
    void aNanOrPositiveInfiniteLogitMakesTheStatisticsNaN() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            for (int classes : new int[] {3, 40}) {
                double[] logits = new double[classes];
                logits[classes / 2] = bad;
                Scorer.Distribution d = Scorer.Distribution.of(OutputKind.LOGITS, logits);
                assertThat(d.confidence()).isNaN();
                assertThat(d.entropy()).isNaN();
            }
        }
    }
}
