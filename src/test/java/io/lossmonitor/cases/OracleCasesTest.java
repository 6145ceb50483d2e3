package io.lossmonitor.cases;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The random cases of {@code golden-oracle.jsonl} through the Java API. Their values come from an independent
 * high-precision evaluation of PyTorch's formulas (src/test/python/golden_oracle.py), so a regression in any
 * combination of weights, ignore_index, label smoothing, soft targets, K-dim inputs or BCE's clamps shows here even
 * where the public cases have no example of it; inputs PyTorch rejects must be rejected with an error that names
 * what is wrong.
 */
class OracleCasesTest {

    private static final List<JsonNode> CASES = GoldenCases.load(GoldenCases.ORACLE_RESOURCE);

    static Stream<Arguments> valued() {
        return CASES.stream().filter(c -> c.has("expected")).map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    static Stream<Arguments> rejected() {
        return CASES.stream().filter(c -> c.has("expected_error"))
                .map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valued")
    void matchesTheOracle(JsonNode c) {
        JsonNode value = LossCase.evaluate(c);
        assertThat(Tolerance.matches(c.get("expected"), value, c.get("atol").asDouble()))
                .as("%s: got %s, the oracle says %s", c.get("id"), value, c.get("expected"))
                .isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsWhatPyTorchRejects(JsonNode c) {
        assertThatThrownBy(() -> LossCase.evaluate(c))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(c.get("expected_error").asText());
    }

    @Test
    void theFileIsWhole() {
        // the generator writes 400 cases with a fixed seed; a truncated copy would silently test less
        assertThat(CASES).hasSize(400);
        assertThat(valued()).hasSizeGreaterThan(300);
        assertThat(rejected()).hasSizeGreaterThan(30);
    }
}
