package io.lossmonitor.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker-compose.yml and the Dockerfile, checked as files (no Docker engine runs here): what can be verified
 * without running them is verified.
 */
class ComposeTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_]+)}");

    private static JsonNode compose() throws Exception {
        return YAML.readTree(Path.of("docker-compose.yml").toFile());
    }

    private static Map<String, String> env() throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(".env"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        return env;
    }

    @Test
    void everyServiceHasAHealthcheckAndWaitsForHealthyDependencies() throws Exception {
        JsonNode compose = compose();
        assertThat(compose.has("version")).as("the Compose specification has no version key").isFalse();
        JsonNode services = compose.path("services");
        assertThat(services.fieldNames()).toIterable().contains("kafka", "schema-registry", "loss-monitor",
                "generator", "prometheus", "grafana");
        services.fields().forEachRemaining(s -> {
            assertThat(s.getValue().path("healthcheck").path("test")).as(s.getKey() + " healthcheck").isNotEmpty();
            s.getValue().path("depends_on").fields().forEachRemaining(d ->
                    assertThat(d.getValue().path("condition").asText()).as(s.getKey() + " -> " + d.getKey())
                            .isIn("service_healthy", "service_completed_successfully"));
        });
        assertThat(services.path("generator").path("profiles").toString()).contains("demo");
    }

    @Test
    void imagesArePinnedInOneFileAndPortsBindLocalhost() throws Exception {
        Map<String, String> env = env();
        compose().path("services").fields().forEachRemaining(s -> {
            String image = s.getValue().path("image").asText();
            Matcher m = VARIABLE.matcher(image);
            assertThat(m.matches()).as(s.getKey() + " image comes from .env: " + image).isTrue();
            String pinned = env.get(m.group(1));
            assertThat(pinned).as(m.group(1)).matches("[a-z0-9./-]+:v?[0-9][A-Za-z0-9._-]*");
            s.getValue().path("ports").forEach(p -> assertThat(p.asText()).as(s.getKey()).startsWith("127.0.0.1:"));
        });
    }

    @Test
    void everyMountedFileExists() throws Exception {
        compose().path("services").fields().forEachRemaining(s -> s.getValue().path("volumes").forEach(v -> {
            String source = v.asText().split(":")[0];
            if (source.startsWith("./")) {
                assertThat(Path.of(source)).as(s.getKey() + " mounts " + source).exists();
            }
        }));
        assertThat(Path.of("grafana", "provisioning", "dashboards", "loss-monitor.yml")).exists();
    }

    @Test
    void theComposePrometheusConfigIsValid(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(AlertRulesTest.PROMTOOL) || "true".equals(System.getenv("CI")),
                "promtool is not installed");
        // The rule file is mounted at /etc/prometheus in the container; point at the repository's copy.
        String config = Files.readString(Path.of("grafana", "prometheus", "prometheus.yml"))
                .replace("/etc/prometheus/alerts.yml", AlertRulesTest.RULES.toAbsolutePath().toString());
        Path file = Files.writeString(dir.resolve("prometheus.yml"), config);
        Process p = new ProcessBuilder(AlertRulesTest.PROMTOOL.toString(), "check", "config", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void theImageIsMultiStagePinnedNonRootAndHealthChecked() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        List<String> from = dockerfile.lines().filter(l -> l.startsWith("FROM ")).toList();
        assertThat(from).hasSize(2);
        assertThat(dockerfile).containsPattern("ARG JDK_IMAGE=eclipse-temurin:21[0-9._]+-jdk")
                .containsPattern("ARG JRE_IMAGE=eclipse-temurin:21[0-9._]+-jre")
                .contains("./mvnw ").contains("USER 10001").contains("MaxRAMPercentage")
                .containsPattern("HEALTHCHECK .*\\n.*/health/live");
        assertThat(dockerfile.lines().filter(l -> l.startsWith("USER ")).toList()).singleElement()
                .asString().doesNotContain("root");
    }
}
