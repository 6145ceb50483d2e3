package io.lossmonitor.cases;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reference case through the Java API, compared as the cases prescribe: |a-e| <= 1e-9|e| + atol. */
class GoldenCasesTest {

    static Stream<Arguments> cases() {
        return GoldenCases.load().stream().map(c -> Arguments.of(Named.of(c.get("id").asText(), c)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesExpectedValue(JsonNode c) {
        JsonNode value = LossCase.evaluate(c);
        assertThat(Tolerance.matches(c.get("expected"), value, c.get("atol").asDouble()))
                .as("%s: got %s, expected %s (atol %s)", c.get("id"), value, c.get("expected"), c.get("atol"))
                .isTrue();
    }

    @Test
    void theFileHoldsEveryPublicCase() {
        assertThat(GoldenCases.load()).hasSize(51);
    }
}
