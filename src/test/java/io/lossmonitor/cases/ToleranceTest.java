package io.lossmonitor.cases;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ToleranceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void relativePartIsOnePartInABillion() throws Exception {
        assertThat(Tolerance.matches(json("1000.0"), json("1000.000001"), 0.0)).isTrue();
        assertThat(Tolerance.matches(json("1000.0"), json("1000.0000011"), 0.0)).isFalse();
    }

    @Test
    void absolutePartAddsToTheRelativePart() throws Exception {
        assertThat(Tolerance.matches(json("0.0"), json("1e-15"), 3.55e-15)).isTrue();
        assertThat(Tolerance.matches(json("0.0"), json("1e-14"), 3.55e-15)).isFalse();
    }

    @Test
    void nanMatchesOnlyNan() throws Exception {
        assertThat(Tolerance.matches(json("\"NaN\""), json("\"NaN\""), 1.0)).isTrue();
        assertThat(Tolerance.matches(json("\"NaN\""), json("0.0"), 1.0)).isFalse();
        assertThat(Tolerance.matches(json("0.0"), json("\"NaN\""), 1.0)).isFalse();
    }

    @Test
    void shapesMustAgree() throws Exception {
        assertThat(Tolerance.matches(json("[[1.0, 2.0]]"), json("[[1.0, 2.0]]"), 0.0)).isTrue();
        assertThat(Tolerance.matches(json("[1.0, 2.0]"), json("[[1.0, 2.0]]"), 0.0)).isFalse();
        assertThat(Tolerance.matches(json("[1.0]"), json("1.0"), 0.0)).isFalse();
        assertThat(Tolerance.matches(json("[1.0, 2.0]"), json("[1.0]"), 0.0)).isFalse();
    }
}
