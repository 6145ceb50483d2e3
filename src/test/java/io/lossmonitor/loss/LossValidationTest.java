package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.loss.LossInputException.Reason;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Each kind of invalid input: a typed exception whose reason and message name what is wrong. */
class LossValidationTest {

    private static void rejects(ThrowingCallable call, Reason reason, String message) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(LossInputException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(message);
    }

    private static final CrossEntropy CE3 = CrossEntropy.builder(3).build();

    @Test
    void nonFiniteLogits() {
        rejects(() -> CE3.indexLoss(new double[] {0, Double.NaN, 1}, 0, 0), Reason.NON_FINITE_SCORE, "score[1] = NaN");
        rejects(() -> CE3.indexLoss(new double[] {0, 1, Double.POSITIVE_INFINITY}, 0, 0), Reason.NON_FINITE_SCORE,
                "score[2] = Infinity");
        // -inf alone is a masked class (MaskedClassesTest); a row of nothing else is not a distribution.
        rejects(() -> CE3.indexLoss(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.NEGATIVE_INFINITY}, 0, 1), Reason.NON_FINITE_SCORE, "every class is masked");
        rejects(() -> CE3.softLoss(new double[] {0, Double.NaN, 1}, 0, new double[] {1, 0, 0}, 0),
                Reason.NON_FINITE_SCORE, "score[1] = NaN");
        rejects(() -> BinaryCrossEntropy.onLogits(1, null, null).rowLoss(new double[] {Double.NaN}, 0,
                new double[] {1}, 0, null, 0), Reason.NON_FINITE_SCORE, "input[0] = NaN");
    }

    @Test
    void wrongLengths() {
        rejects(() -> CE3.indexLoss(new double[] {0, 1}, 0, 0), Reason.SHAPE_MISMATCH, "expected 3 scores");
        rejects(() -> CE3.indexLosses(new double[] {0, 1, 2, 3}, new int[] {0}), Reason.SHAPE_MISMATCH,
                "do not form 1 rows of 3 classes");
        rejects(() -> CrossEntropy.builder(3).weight(new double[] {1, 2}).build(), Reason.SHAPE_MISMATCH,
                "either for all 3 classes or no classes");
        rejects(() -> BinaryCrossEntropy.onLogits(2, null, new double[] {1}), Reason.SHAPE_MISMATCH,
                "pos_weight has 1 values, expected 2");
        rejects(() -> BinaryCrossEntropy.elementLosses(true, new double[] {1, 2}, new double[] {1}, null, null),
                Reason.SHAPE_MISMATCH, "same size");
    }

    @Test
    void targetOutOfRangeUnlessItIsTheIgnoreIndex() {
        rejects(() -> CE3.indexLoss(new double[] {0, 1, 2}, 0, 3), Reason.TARGET_OUT_OF_RANGE,
                "target 3 is out of bounds");
        rejects(() -> CE3.indexDenominator(-1), Reason.TARGET_OUT_OF_RANGE, "target -1 is out of bounds");
        // The ignore test comes before the bounds check: an out-of-range ignore_index is fine ...
        assertThat(CrossEntropy.builder(3).ignoreIndex(7).build().indexLoss(new double[] {0, 1, 2}, 0, 7)).isZero();
        // ... and a valid class id can be the ignore index.
        CrossEntropy ignoreOne = CrossEntropy.builder(3).ignoreIndex(1).build();
        assertThat(ignoreOne.indexLoss(new double[] {0, 1, 2}, 0, 1)).isZero();
        assertThat(ignoreOne.indexDenominator(1)).isZero();
    }

    @Test
    void negativeOrNonFiniteWeights() {
        rejects(() -> CrossEntropy.builder(2).weight(new double[] {1, -0.5}).build(), Reason.INVALID_WEIGHT,
                "weight[1] = -0.5 must be a finite number >= 0");
        rejects(() -> CrossEntropy.builder(2).weight(new double[] {Double.NaN, 1}).build(), Reason.INVALID_WEIGHT,
                "weight[0] = NaN");
        rejects(() -> BinaryCrossEntropy.onLogits(1, null, new double[] {-1}), Reason.INVALID_WEIGHT, "pos_weight[0] = -1.0");
        rejects(() -> BinaryCrossEntropy.onProbabilities(1, new double[] {Double.POSITIVE_INFINITY}),
                Reason.INVALID_WEIGHT, "weight[0] = Infinity");
    }

    @Test
    void labelSmoothingAboveOneOrNaN() {
        rejects(() -> CrossEntropy.builder(2).labelSmoothing(1.5).build(), Reason.INVALID_LABEL_SMOOTHING,
                "label_smoothing must be between 0.0 and 1.0 (got 1.5)");
        rejects(() -> CrossEntropy.builder(2).labelSmoothing(Double.NaN).build(), Reason.INVALID_LABEL_SMOOTHING,
                "(got NaN)");
        // <= 0, including negative values, silently means no smoothing (PyTorch).
        assertThat(CrossEntropy.builder(2).labelSmoothing(-0.3).build().labelSmoothing()).isZero();
    }

    @Test
    void probabilitiesOutsideTheUnitIntervalOrNotSummingToOne() {
        rejects(() -> BinaryCrossEntropy.elementLosses(false, new double[] {1.5}, new double[] {1}, null, null),
                Reason.PROBABILITY_OUT_OF_RANGE, "input[0] = 1.5 is outside [0, 1]");
        rejects(() -> BinaryCrossEntropy.elementLosses(false, new double[] {0.5}, new double[] {Double.NaN}, null, null),
                Reason.PROBABILITY_OUT_OF_RANGE, "target[0] = NaN is outside [0, 1]");
        CrossEntropy probs = CrossEntropy.builder(2).scores(ScoreSpace.PROBABILITIES).build();
        rejects(() -> probs.indexLoss(new double[] {-0.1, 1.1}, 0, 0), Reason.PROBABILITY_OUT_OF_RANGE,
                "probability[0] = -0.1 is outside [0, 1]");
        rejects(() -> probs.indexLoss(new double[] {0.5, 0.4}, 0, 0), Reason.PROBABILITY_SUM,
                "probabilities sum to 0.9, not 1 within the tolerance 1.0E-4");
        CrossEntropy loose = CrossEntropy.builder(2).scores(ScoreSpace.PROBABILITIES).probabilitySumTolerance(0.2).build();
        assertThat(loose.indexLoss(new double[] {0.5, 0.4}, 0, 0)).isEqualTo(-Math.log(0.5));
    }

    @Test
    void nonNegativeIgnoreIndexWithProbabilityTargets() {
        CrossEntropy ce = CrossEntropy.builder(2).ignoreIndex(0).build();
        rejects(() -> ce.softLoss(new double[] {0, 1}, 0, new double[] {0.5, 0.5}, 0), Reason.INVALID_IGNORE_INDEX,
                "ignore_index is not supported for probability targets (got 0)");
    }

    @Test
    void nonFiniteSoftTargets() {
        rejects(() -> CE3.softLoss(new double[] {0, 1, 2}, 0, new double[] {0.5, Double.NaN, 0.5}, 0),
                Reason.NON_FINITE_TARGET, "target[1] = NaN is not finite");
    }

    @Test
    void batchErrorsNameTheRow() {
        rejects(() -> CE3.indexLosses(new double[] {0, 1, 2, 0, 1, 2}, new int[] {0, 5}), Reason.TARGET_OUT_OF_RANGE,
                "row 1: target 5 is out of bounds");
    }

    @Test
    void nanOnlyWherePyTorchDefinesIt() {
        // All targets ignored: mean is 0/0 = NaN, sum is 0.
        double[] rows = {0, 1, 2, 2, 1, 0};
        int[] ignored = {-100, -100};
        assertThat(CE3.reduceIndex(rows, ignored, Reduction.MEAN)).isNaN();
        assertThat(CE3.reduceIndex(rows, ignored, Reduction.SUM)).isZero();
        // An empty batch: mean NaN, sum 0.
        assertThat(CE3.reduceIndex(new double[0], new int[0], Reduction.MEAN)).isNaN();
        assertThat(CE3.reduceIndex(new double[0], new int[0], Reduction.SUM)).isZero();
    }
}
