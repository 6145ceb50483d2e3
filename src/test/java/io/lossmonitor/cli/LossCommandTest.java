package io.lossmonitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cases.GoldenCases;
import io.lossmonitor.cases.Tolerance;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The loss subcommand, in-process through the same command line the jar's main builds. */
class LossCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = LossMonitorCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void everyGoldenCaseThroughTheCliMatchesItsExpectedValue() throws Exception {
        Path file = dir.resolve("golden.jsonl");
        try (var in = GoldenCases.class.getResourceAsStream(GoldenCases.RESOURCE)) {
            Files.copy(in, file);
        }
        Run run = run("loss", "--input", file.toString());
        assertThat(run.exit()).isZero();
        Map<String, JsonNode> byId = GoldenCases.load().stream()
                .collect(Collectors.toMap(c -> c.get("id").asText(), Function.identity()));
        List<String> lines = run.lines();
        assertThat(lines).hasSize(byId.size());
        for (String line : lines) {
            JsonNode result = JSON.readTree(line);
            JsonNode c = byId.get(result.get("id").asText());
            assertThat(result.has("value")).as(line).isTrue();
            assertThat(Tolerance.matches(c.get("expected"), result.get("value"), c.get("atol").asDouble()))
                    .as("%s vs expected %s", line, c.get("expected")).isTrue();
        }

        Run check = run("loss", "--input", file.toString(), "--check");
        assertThat(check.exit()).isZero();
        assertThat(check.lines()).last().isEqualTo(byId.size() + " passed, 0 failed");
    }

    /** The oracle's cases as a user runs them: its "-Infinity" strings read, "NaN" and nested lists written. */
    @Test
    void everyOracleCaseThroughTheCliGivesTheOraclesValueOrAnError() throws Exception {
        Path file = dir.resolve("oracle.jsonl");
        try (var in = GoldenCases.class.getResourceAsStream(GoldenCases.ORACLE_RESOURCE)) {
            Files.copy(in, file);
        }
        Run run = run("loss", "--input", file.toString(), "--check");
        assertThat(run.exit()).isZero();
        Map<String, JsonNode> byId = GoldenCases.load(GoldenCases.ORACLE_RESOURCE).stream()
                .collect(Collectors.toMap(c -> c.get("id").asText(), Function.identity()));
        List<String> lines = run.lines();
        assertThat(lines).hasSize(byId.size() + 1);
        long rejected = 0;
        for (String line : lines.subList(0, byId.size())) {
            JsonNode result = JSON.readTree(line);
            JsonNode c = byId.get(result.get("id").asText());
            if (c.has("expected_error")) {
                rejected++;
                assertThat(result.path("error").asText()).as(line).contains(c.get("expected_error").asText());
            } else {
                assertThat(result.get("pass").asBoolean()).as("%s vs the oracle's %s", line, c.get("expected")).isTrue();
            }
        }
        assertThat(lines).last().isEqualTo((byId.size() - rejected) + " passed, 0 failed, " + rejected + " skipped");
    }

    @Test
    void checkReportsFailuresAndExitsNonZero() throws Exception {
        Path file = write("cases.jsonl", """
                {"id":"right","loss":"binary_cross_entropy","input":[0.5],"target":[1.0],"reduction":"sum","expected":0.6931471805599453,"atol":1e-15}
                {"id":"wrong","loss":"binary_cross_entropy","input":[0.5],"target":[1.0],"reduction":"sum","expected":0.7,"atol":1e-15}
                {"id":"unchecked","loss":"binary_cross_entropy","input":[0.5],"target":[1.0]}
                """);
        Run run = run("loss", "--input", file.toString(), "--check");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.lines()).hasSize(4);
        assertThat(JSON.readTree(run.lines().get(0)).get("pass").asBoolean()).isTrue();
        assertThat(JSON.readTree(run.lines().get(1)).get("pass").asBoolean()).isFalse();
        assertThat(run.lines().get(3)).isEqualTo("1 passed, 1 failed, 1 skipped");
    }

    @Test
    void rejectedCasesBecomeErrorLinesAndTheRunGoesOn() throws Exception {
        Path file = write("cases.jsonl", """
                {"id":7,"loss":"cross_entropy","input":[[1.0,2.0]],"target":[4]}

                {"id":"ok","loss":"cross_entropy","input":[[0.0,0.0]],"target":[1],"reduction":"none"}
                {"id":"nan","loss":"cross_entropy","input":[[1.0,2.0],[3.0,4.0]],"target":[-100,-100]}
                """);
        Run run = run("loss", "--input", file.toString());
        assertThat(run.exit()).isZero();
        assertThat(run.lines()).containsExactly(
                "{\"id\":7,\"error\":\"row 0: target 4 is out of bounds: classes are 0..1 and ignore_index is -100\"}",
                "{\"id\":\"ok\",\"value\":[" + Math.log(2) + "]}",
                "{\"id\":\"nan\",\"value\":\"NaN\"}");
    }

    @Test
    void unreadableInputExitsTwoWithAMessage() throws Exception {
        Run missing = run("loss", "--input", dir.resolve("absent.jsonl").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read").contains("absent.jsonl");

        Path broken = write("broken.jsonl", "{\"id\":\"a\",\"loss\":\"binary_cross_entropy\",\"input\":[0.5],\"target\":[1.0]}\n{not json\n");
        Run run = run("loss", "--input", broken.toString());
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.lines()).hasSize(1);
        assertThat(run.err()).contains("line 2 is not valid JSON");

        Path array = write("array.jsonl", "[1, 2]\n");
        assertThat(run("loss", "--input", array.toString()).err()).contains("line 1 is not a JSON object");
    }

    @Test
    void helpExplainsTheFormatWithAnExample() {
        Run run = run("loss", "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("--input", "--check", "Example:", "\"value\":1.763756416846708",
                "binary_cross_entropy_with_logits", "N passed, M failed");
    }
}
