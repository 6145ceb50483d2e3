package io.lossmonitor.cases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.loss.LossInputException;
import org.junit.jupiter.api.Test;

/** Shapes and arguments of the case format beyond the 2-D reference cases, checked against identities. */
class LossCaseTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode eval(String json) throws Exception {
        return LossCase.evaluate(JSON.readTree(json));
    }

    @Test
    void oneDimensionalInputWithScalarTargetIsOneRow() throws Exception {
        JsonNode single = eval("{\"loss\":\"cross_entropy\",\"input\":[2.0,-3.0,0.8,1.2],\"target\":2,\"reduction\":\"none\"}");
        JsonNode batch = eval("{\"loss\":\"cross_entropy\",\"input\":[[2.0,-3.0,0.8,1.2]],\"target\":[2],\"reduction\":\"none\"}");
        assertThat(single.isNumber()).isTrue();
        assertThat(single.doubleValue()).isEqualTo(batch.get(0).doubleValue());
    }

    @Test
    void spatialInputUsesDimensionOneForClasses() throws Exception {
        // (N=1, C=3, d=2): position 0 has logits [1, 2, 3], position 1 has [4, 5, 7].
        JsonNode spatial = eval("{\"loss\":\"cross_entropy\",\"input\":[[[1.0,4.0],[2.0,5.0],[3.0,7.0]]],"
                + "\"target\":[[0,2]],\"reduction\":\"none\"}");
        JsonNode flat = eval("{\"loss\":\"cross_entropy\",\"input\":[[1.0,2.0,3.0],[4.0,5.0,7.0]],"
                + "\"target\":[0,2],\"reduction\":\"none\"}");
        assertThat(spatial.size()).isEqualTo(1);
        assertThat(spatial.get(0).get(0).doubleValue()).isEqualTo(flat.get(0).doubleValue());
        assertThat(spatial.get(0).get(1).doubleValue()).isEqualTo(flat.get(1).doubleValue());
    }

    @Test
    void defaultReductionIsMean() throws Exception {
        JsonNode mean = eval("{\"loss\":\"binary_cross_entropy\",\"input\":[0.5,0.25],\"target\":[1.0,0.0]}");
        assertThat(mean.doubleValue()).isCloseTo((Math.log(2) + -Math.log(0.75)) / 2, within(1e-15));
    }

    @Test
    void bceWeightBroadcastsAlongLeadingDimensions() throws Exception {
        // weight of shape (2, 1) scales each row.
        JsonNode value = eval("{\"loss\":\"binary_cross_entropy\",\"input\":[[0.5,0.5],[0.5,0.5]],"
                + "\"target\":[[1.0,0.0],[1.0,1.0]],\"weight\":[[1.0],[3.0]],\"reduction\":\"none\"}");
        double ln2 = Math.log(2);
        assertThat(value.get(0).get(0).doubleValue()).isCloseTo(ln2, within(1e-15));
        assertThat(value.get(1).get(1).doubleValue()).isCloseTo(3 * ln2, within(1e-15));
    }

    @Test
    void probabilityInputScoresAsClampedLogOfTheTargetClass() throws Exception {
        JsonNode value = eval("{\"loss\":\"cross_entropy\",\"input_kind\":\"probabilities\","
                + "\"input\":[[0.25,0.75],[1.0,0.0]],\"target\":[1,1],\"reduction\":\"none\"}");
        assertThat(value.get(0).doubleValue()).isCloseTo(-Math.log(0.75), within(1e-15));
        assertThat(value.get(1).doubleValue()).isEqualTo(100.0);
    }

    @Test
    void nonFiniteInputsWrittenAsStringsAreRejectedByTheLoss() {
        assertThatThrownBy(() -> eval("{\"loss\":\"cross_entropy\",\"input\":[[\"NaN\",1.0]],\"target\":[0]}"))
                .isInstanceOf(LossInputException.class)
                .hasMessageContaining("score[0] = NaN is not finite");
    }

    @Test
    void malformedCasesAreCaseFormatErrors() {
        assertThatThrownBy(() -> eval("{\"input\":[1.0],\"target\":[1.0]}"))
                .isInstanceOf(CaseFormatException.class).hasMessageContaining("missing field 'loss'");
        assertThatThrownBy(() -> eval("{\"loss\":\"hinge\",\"input\":[1.0],\"target\":[1.0]}"))
                .isInstanceOf(CaseFormatException.class).hasMessageContaining("unknown loss 'hinge'");
        assertThatThrownBy(() -> eval("{\"loss\":\"binary_cross_entropy\",\"input\":[[1.0],[1.0,2.0]],\"target\":[1.0]}"))
                .isInstanceOf(CaseFormatException.class).hasMessageContaining("not a rectangular array");
        assertThatThrownBy(() -> eval("{\"loss\":\"cross_entropy\",\"input\":[[1.0,2.0]],\"target\":[0.5]}"))
                .isInstanceOf(CaseFormatException.class).hasMessageContaining("not an integer class index");
    }

    @Test
    void argumentsALossDoesNotHaveAreRejected() {
        assertThatThrownBy(() -> eval("{\"loss\":\"binary_cross_entropy\",\"input\":[0.5],\"target\":[1.0],"
                + "\"pos_weight\":[2.0]}"))
                .isInstanceOf(LossInputException.class).hasMessageContaining("binary_cross_entropy has no pos_weight");
        assertThatThrownBy(() -> eval("{\"loss\":\"nll_loss\",\"input\":[[-1.0,-2.0]],\"target\":[0],"
                + "\"label_smoothing\":0.1}"))
                .isInstanceOf(LossInputException.class).hasMessageContaining("nll_loss has no label_smoothing");
        assertThatThrownBy(() -> eval("{\"loss\":\"cross_entropy\",\"input\":[[1.0,2.0]],\"target\":[0],"
                + "\"reduction\":\"avg\"}"))
                .isInstanceOf(LossInputException.class).hasMessageContaining("reduction must be one of none, mean, sum");
    }

    @Test
    void shapeMismatchesNameBothShapes() {
        assertThatThrownBy(() -> eval("{\"loss\":\"binary_cross_entropy_with_logits\",\"input\":[[1.0,2.0]],"
                + "\"target\":[[1.0]]}"))
                .isInstanceOf(LossInputException.class)
                .hasMessageContaining("target size [1, 1] must be the same as input size [1, 2]");
        assertThatThrownBy(() -> eval("{\"loss\":\"cross_entropy\",\"target_kind\":\"prob\",\"input\":[[1.0,2.0]],"
                + "\"target\":[1]}"))
                .isInstanceOf(LossInputException.class).hasMessageContaining("must have the input's shape");
    }
}
