package io.lossmonitor.generator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cli.LossMonitorCommand;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.LabelReader;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.events.PredictionReader;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Topics;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate} publishing to a real broker and registry: what lands in Kafka is exactly the event log. */
class GenerateIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    @TempDir
    Path dir;

    @Test
    void publishesTheSameEventsItLogs() throws Exception {
        KAFKA.createTopics(2, "gen-predictions", "gen-labels");
        Path log = dir.resolve("events.jsonl");
        int exit = LossMonitorCommand.commandLine().execute("generate", "--count", "600", "--seed", "11",
                "--start", "2026-03-01T00:00:00Z", "--invalid", "0.02",
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry-url", REGISTRY.url(),
                "--predictions-topic", "gen-predictions", "--labels-topic", "gen-labels", "--jsonl", log.toString());
        assertThat(exit).isZero();

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> events = Files.readAllLines(log).stream().map(line -> {
            try {
                return json.readTree(line);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        List<JsonNode> predictions = events.stream().filter(e -> e.get("type").asText().equals("prediction")).toList();
        List<JsonNode> labels = events.stream().filter(e -> e.get("type").asText().equals("label")).toList();

        RegistryClient client = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        Map<String, PredictionEvent> published = new java.util.HashMap<>();
        Topics.read(KAFKA, "gen-predictions", new AvroDeserializer<>(client, PredictionReader::new), predictions.size())
                .forEach(r -> published.put(r.value().predictionId(), r.value()));
        List<LabelEvent> publishedLabels = Topics.read(KAFKA, "gen-labels", new AvroDeserializer<>(client, LabelReader::new),
                labels.size()).stream().map(r -> r.value()).toList();
        assertThat(publishedLabels).hasSize(labels.size());

        for (JsonNode p : predictions) {
            PredictionEvent event = published.get(p.get("prediction_id").asText());
            assertThat(event).isNotNull();
            assertThat(event.timestampMs()).isEqualTo(p.get("timestamp").asLong());
            double[] logged = new double[p.get("scores").size()];
            for (int i = 0; i < logged.length; i++) {
                JsonNode v = p.get("scores").get(i);
                logged[i] = v.isTextual() ? Double.NaN : v.doubleValue();
            }
            assertThat(Arrays.equals(event.scores(), logged)).as(p.toString()).isTrue();
        }
    }
}
