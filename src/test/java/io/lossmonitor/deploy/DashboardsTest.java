package io.lossmonitor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards, checked as files (Grafana cannot run here): valid JSON, unique stable uids, the
 * datasource variable used by every panel and query, a unit on every panel. That every metric they name is
 * exported is checked against a real scrape in ServiceIT.
 */
class DashboardsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyDashboardIsWellFormed() throws Exception {
        List<Path> files = DeploymentFiles.dashboards();
        assertThat(files).hasSize(3);
        Set<String> uids = new HashSet<>();
        for (Path file : files) {
            JsonNode d = JSON.readTree(file.toFile());
            String uid = d.path("uid").asText();
            assertThat(uid).as(file.toString()).matches("lossmon-[a-z-]+");
            assertThat(uids.add(uid)).as("uid %s is unique", uid).isTrue();
            JsonNode variables = d.path("templating").path("list");
            assertThat(variables.findValuesAsText("name")).as(file.toString()).contains("datasource");
            assertThat(d.path("panels")).as(file.toString()).isNotEmpty();
            for (JsonNode panel : d.path("panels")) {
                String where = file.getFileName() + " / " + panel.path("title").asText();
                assertThat(panel.path("datasource").path("uid").asText()).as(where).isEqualTo("${datasource}");
                assertThat(panel.path("fieldConfig").path("defaults").path("unit").asText()).as(where).isNotBlank();
                assertThat(panel.path("targets")).as(where).isNotEmpty();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("datasource").path("uid").asText()).as(where).isEqualTo("${datasource}");
                    assertThat(target.path("expr").asText()).as(where).isNotBlank();
                }
            }
            for (JsonNode variable : variables) {
                if (variable.path("type").asText().equals("query")) {
                    assertThat(variable.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
                }
            }
        }
    }

    @Test
    void theModelQualityDashboardHasTheDrillDownVariables() throws Exception {
        JsonNode d = JSON.readTree(DeploymentFiles.DASHBOARDS.resolve("model-quality.json").toFile());
        assertThat(d.path("templating").path("list").findValuesAsText("name"))
                .containsExactly("datasource", "model", "version", "class", "window");
        List<String> titles = d.path("panels").findValuesAsText("title");
        assertThat(String.join("|", titles)).contains("baseline", "Normalized entropy", "Accuracy", "calibration",
                "Per-class loss", "Prediction entropy", "confidence", "Predicted-class mix");
    }

    @Test
    void theyOnlyNameMetricsOfTheProject() throws Exception {
        assertThat(DeploymentFiles.metricNames()).contains("lossmon_window_loss_mean", "lossmon_label_delay_seconds_bucket",
                "kafka_stream_thread_process_rate").allMatch(n -> n.startsWith("lossmon_") || n.startsWith("kafka_")
                || n.startsWith("jvm_") || n.startsWith("process_"));
    }
}
