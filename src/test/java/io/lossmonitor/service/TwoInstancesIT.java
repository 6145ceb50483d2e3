package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Two instances share the work; a window query sent to either is answered, by forwarding when the other owns it. */
class TwoInstancesIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private LossMonitorService start(int port, String name) throws Exception {
        ServiceConfig config = ServiceConfig.load(null, Map.of(), Map.of(
                "lossmonitor.bootstrap-servers", KAFKA.bootstrapServers(),
                "lossmonitor.schema-registry-url", REGISTRY.url(),
                "lossmonitor.http.address", "127.0.0.1", "lossmonitor.http.port", Integer.toString(port),
                "lossmonitor.application-server", "127.0.0.1:" + port,
                "lossmonitor.state-dir", dir.resolve(name).toString(),
                "lossmonitor.replication-factor", "1", "lossmonitor.standby-replicas", "0",
                "kafka.commit.interval.ms", "100"));
        LossMonitorService service = new LossMonitorService(config, "test");
        service.start();
        return service;
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void eitherInstanceAnswersForEveryKey() throws Exception {
        KAFKA.createTopics(4, "predictions", "labels");
        KAFKA.createTopics(1, "models", "scored-events", "late-labels", "loss-monitor-dead-letters", "loss-windows");
        int portA = ServiceIT.freePort();
        int portB = ServiceIT.freePort();
        try (LossMonitorService a = start(portA, "a"); LossMonitorService b = start(portB, "b")) {
            await("both RUNNING").atMost(Duration.ofMinutes(2)).until(() ->
                    a.state() == KafkaStreams.State.RUNNING && b.state() == KafkaStreams.State.RUNNING);
            assertThat(get(portA, "/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(portB, "/health/live").statusCode()).isEqualTo(200);

            RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
            List<String> models = new ArrayList<>();
            List<ModelProfile> profiles = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                models.add("model" + i);
                profiles.add(ModelProfile.parse("model" + i + ":binary:logits"));
            }
            try (KafkaTrafficSink kafka = new KafkaTrafficSink(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KAFKA.bootstrapServers()), registry, "predictions", "labels")) {
                Traffic traffic = new Traffic(new TrafficConfig(5, profiles, 400, 200, T0, Duration.ofSeconds(2),
                        0, 0, 0, 0, 0, 0, null));
                while (traffic.hasNext()) {
                    kafka.accept(traffic.next());
                }
            }
            ObjectMapper json = new ObjectMapper();
            Set<String> answeredLocally = new HashSet<>();
            await("every model's window from both instances").atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        for (String model : models) {
                            String path = "/api/v1/models/" + model + "/windows?version=v1&size=1m&from="
                                    + Instant.ofEpochMilli(T0) + "&to=" + Instant.ofEpochMilli(T0 + 60_000);
                            HttpResponse<String> fromA = get(portA, path);
                            HttpResponse<String> fromB = get(portB, path);
                            assertThat(fromA.statusCode()).as(fromA.body()).isEqualTo(200);
                            assertThat(fromB.statusCode()).as(fromB.body()).isEqualTo(200);
                            JsonNode windowA = json.readTree(fromA.body());
                            assertThat(windowA.get("windows")).hasSize(1);
                            assertThat(windowA.get("windows").get(0).get("events").asLong()).isEqualTo(50);
                            assertThat(json.readTree(fromB.body())).isEqualTo(windowA);
                        }
                        JsonNode listed = json.readTree(get(portB, "/api/v1/models").body());
                        assertThat(listed.get("models").findValuesAsText("model")).containsAll(models);
                    });
            // Each instance exports windows only for the keys it owns: both own some, so every answer above for a
            // key of the other instance was forwarded, in both directions. The metrics read the stores from another
            // thread, which may trail the query answers above by a commit, so they are awaited too.
            await("every model's window exported by the instance that owns it").atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        answeredLocally.clear();
                        for (int port : List.of(portA, portB)) {
                            var owned = io.lossmonitor.metrics.PrometheusText.parse(get(port, "/metrics").body()).stream()
                                    .filter(x -> x.name().equals("lossmon_window_events")
                                            && x.labels().get("class").equals("all") && x.labels().get("window").equals("1m"))
                                    .map(x -> x.labels().get("model")).toList();
                            assertThat(owned).as("models owned by :%d", port).isNotEmpty().hasSizeLessThan(models.size());
                            answeredLocally.addAll(owned);
                        }
                        assertThat(answeredLocally).containsExactlyInAnyOrderElementsOf(models);
                    });
        }
    }
}
