package io.lossmonitor.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The alert rules, through the real promtool (Debian's prometheus package) and the house rules. */
class AlertRulesTest {

    static final Path RULES = Path.of("grafana", "prometheus", "alerts.yml");
    static final Path TESTS = Path.of("grafana", "prometheus", "alerts.test.yml");
    static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    static List<JsonNode> alerts() throws Exception {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(RULES.toFile());
        List<JsonNode> out = new ArrayList<>();
        rules.path("groups").forEach(g -> g.path("rules").forEach(out::add));
        return out;
    }

    private static String promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(RULES.getParent().toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void promtoolChecksAndUnitTestsTheRules() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL) || "true".equals(System.getenv("CI")),
                "promtool is not installed (apt-get install prometheus; .ci/run installs it)");
        assertThat(promtool("check", "rules", RULES.getFileName().toString())).contains("SUCCESS: 9 rules found");
        assertThat(promtool("test", "rules", TESTS.getFileName().toString())).contains("SUCCESS");
    }

    @Test
    void everyAlertIsNamedLabelledAnnotatedAndHasARunbook() throws Exception {
        String runbooks = Files.readString(Path.of("docs", "runbooks.md"));
        String tests = Files.readString(TESTS);
        for (JsonNode alert : alerts()) {
            String name = alert.path("alert").asText();
            assertThat(name).matches("LossMon[A-Z][A-Za-z]+");
            assertThat(alert.path("for").asText()).as(name).isNotEmpty();
            assertThat(alert.path("labels").path("severity").asText()).as(name).isIn("warning", "critical");
            JsonNode annotations = alert.path("annotations");
            assertThat(annotations.path("summary").asText()).as(name).isNotBlank();
            assertThat(annotations.path("description").asText()).as(name).isNotBlank();
            assertThat(annotations.path("runbook_url").asText()).as(name)
                    .endsWith("docs/runbooks.md#" + name.toLowerCase(Locale.ROOT));
            assertThat(runbooks).as("runbook of " + name).contains("## " + name + "\n");
            assertThat(tests).as("promtool test of " + name).contains("alertname: " + name);
        }
    }
}
