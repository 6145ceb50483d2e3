package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Preload;
import io.lossmonitor.fixtures.PrometheusServer;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A real Prometheus scrapes the running service; the PromQL the dashboards use returns the loss CLI's numbers. */
class PrometheusScrapeIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    /** The all-time mean per model, corrections included: what the dashboards' loss panels compute. */
    static final String MEAN_BY_MODEL = "(sum by (model) (lossmon_loss_numerator_total{class=\"all\"})"
            + " - sum by (model) (lossmon_loss_retracted_numerator_total{class=\"all\"}))"
            + " / (sum by (model) (lossmon_loss_denominator_total{class=\"all\"})"
            + " - sum by (model) (lossmon_loss_retracted_denominator_total{class=\"all\"}))";

    @TempDir
    Path dir;

    @Test
    void promqlOverTheScrapedMetricsEqualsTheLossCli() throws Exception {
        assumeTrue(Files.isExecutable(PrometheusServer.BINARY) || "true".equals(System.getenv("CI")),
                "Prometheus is not installed (apt-get install prometheus; .ci/run installs it)");
        KAFKA.createTopics(2, "predictions", "labels");
        KAFKA.createTopics(1, "models", "scored-events", "late-labels", "loss-monitor-dead-letters", "loss-windows");
        int port = ServiceIT.freePort();
        ServiceConfig config = ServiceConfig.load(null, Map.of(), Map.of(
                "lossmonitor.bootstrap-servers", KAFKA.bootstrapServers(),
                "lossmonitor.schema-registry-url", REGISTRY.url(),
                "lossmonitor.http.address", "127.0.0.1", "lossmonitor.http.port", Integer.toString(port),
                "lossmonitor.state-dir", dir.resolve("state").toString(),
                "lossmonitor.replication-factor", "1", "lossmonitor.standby-replicas", "0",
                "kafka.commit.interval.ms", "100"));
        try (LossMonitorService service = new LossMonitorService(config, "test");
             PrometheusServer prometheus = new PrometheusServer(List.of("127.0.0.1:" + port), null)) {
            service.start();
            await("RUNNING").atMost(Duration.ofMinutes(2)).until(() -> service.state() == KafkaStreams.State.RUNNING);

            RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
            Preload.Loaded loaded = Preload.load(KAFKA, registry, "predictions", "labels",
                    new TrafficConfig(3, List.of(ModelProfile.parse("fraud:binary:logits"),
                            ModelProfile.parse("ranker:multiclass:logits:10")), 800, 200,
                            Instant.parse("2026-11-01T00:00:00Z").toEpochMilli(), Duration.ofSeconds(5),
                            0.05, 0.05, 0.02, 0.02, 0.02, 0, null), Duration.ofDays(7));
            Map<String, Double> expectedMeans = new HashMap<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : loaded.cases().split("\n")) {
                JsonNode c = json.readTree(line);
                if (!c.get("id").asText().contains("/")) {
                    expectedMeans.put(c.get("model_id").asText(), LossCase.evaluate(c).doubleValue());
                }
            }
            long produced = loaded.predictions();
            await("Prometheus sees what the loss CLI computes").atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                        double accounted = prometheus.query("sum(lossmon_predictions_total) + sum(lossmon_pending_predictions)")
                                .values().stream().mapToDouble(Double::doubleValue).sum();
                        assertThat(accounted).isEqualTo(produced);
                        Map<Map<String, String>, Double> means = prometheus.query(MEAN_BY_MODEL);
                        Map<Map<String, String>, Double> windows = prometheus.query(
                                "lossmon_window_loss_mean{class=\"all\",window=\"1h\"}");
                        for (Map.Entry<String, Double> e : expectedMeans.entrySet()) {
                            assertThat(means.get(Map.of("model", e.getKey()))).as("mean of %s", e.getKey())
                                    .isCloseTo(e.getValue(), within(1e-12 * e.getValue()));
                            double window = windows.entrySet().stream()
                                    .filter(w -> w.getKey().get("model").equals(e.getKey()))
                                    .mapToDouble(Map.Entry::getValue).findFirst().orElse(Double.NaN);
                            assertThat(window).as("1h window of %s", e.getKey())
                                    .isCloseTo(e.getValue(), within(1e-12 * e.getValue()));
                        }
                    });
        }
    }
}
