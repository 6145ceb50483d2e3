package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Preload;
import io.lossmonitor.fixtures.ServiceJar;
import io.lossmonitor.generator.JsonLinesTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.Prediction;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client the service's own code did not write: predictions and labels produced by a Node.js program with
 * Confluent's JavaScript schema-registry serde ({@code @confluentinc/schemaregistry}, its Avro serializer on avsc)
 * and kafkajs, the schemas registered by that client under the topics' value subjects. The service decodes every
 * record (no dead letters), and its counters and windows equal the loss CLI's on the same events. Needs Node.js and
 * npm (the CI script installs them; where they are missing the test is skipped) and the npm registry for the
 * packages, pinned by {@code src/test/js/package-lock.json}.
 */
class ConfluentJsClientIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    private static final Path CLIENT = Path.of("target", "js-client");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void installTheClient() throws Exception {
        Assumptions.assumeTrue(runs("node", "--version") && runs("npm", "--version"),
                "Node.js and npm are not installed");
        Files.createDirectories(CLIENT);
        for (String file : List.of("package.json", "package-lock.json", "produce.mjs")) {
            Files.copy(Path.of("src", "test", "js", file), CLIENT.resolve(file),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // Exactly the locked versions; no install scripts (none of them is needed to serialize).
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
                .directory(CLIENT.toFile()).redirectErrorStream(true)
                .redirectOutput(CLIENT.resolve("npm-ci.log").toFile()).start();
        assertThat(npm.waitFor(5, TimeUnit.MINUTES)).as("npm ci finished").isTrue();
        assertThat(npm.exitValue()).as(Files.readString(CLIENT.resolve("npm-ci.log"))).isZero();
    }

    private static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private List<Sample> scrape(int port) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        return PrometheusText.parse(response.body());
    }

    @Test
    void recordsFromConfluentsJavaScriptSerializerAreScoredAsTheLossCliScoresThem() throws Exception {
        KAFKA.createTopics(2, "predictions", "labels");
        KAFKA.createTopics(1, "models", "scored-events", "late-labels", "loss-monitor-dead-letters", "loss-windows");
        int port = ServiceIT.freePort();
        Path log = dir.resolve("service.log");
        processes.add(ServiceJar.run(log, "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry-url", REGISTRY.url(), "--http-port", Integer.toString(port),
                "--state-dir", dir.resolve("state").toString(), "--application-server", "127.0.0.1:" + port,
                "--set", "lossmonitor.http.address=127.0.0.1",
                "--set", "lossmonitor.replication-factor=1", "--set", "lossmonitor.standby-replicas=0",
                "--set", "kafka.commit.interval.ms=100",
                "--set", "lossmonitor.model.ranker.num-classes=10", "--set", "lossmonitor.model.tagger.num-classes=5"));

        // Valid traffic only (an invalid score is a NaN, which JSON cannot carry to the client), with duplicates,
        // corrections, early and unlabelled predictions.
        TrafficConfig traffic = new TrafficConfig(11, List.of(ModelProfile.parse("fraud:binary:logits"),
                ModelProfile.parse("ranker:multiclass:logits:10"), ModelProfile.parse("tagger:multilabel:probabilities:5")),
                600, 200, T0, Duration.ofSeconds(5), 0.05, 0.05, 0.02, 0.02, 0.02, 0.0, null);
        Path events = dir.resolve("events.jsonl");
        Preload.Loaded loaded = Preload.write(new JsonLinesTrafficSink(Files.newBufferedWriter(events)), traffic,
                Duration.ofDays(7));
        Path predictionSchema = Files.writeString(dir.resolve("Prediction.avsc"), Prediction.getClassSchema().toString());
        Path labelSchema = Files.writeString(dir.resolve("Label.avsc"), Label.getClassSchema().toString());
        Path output = dir.resolve("producer.out");
        Process node = new ProcessBuilder("node", "produce.mjs", KAFKA.bootstrapServers(), REGISTRY.url(), "predictions",
                "labels", predictionSchema.toAbsolutePath().toString(), labelSchema.toAbsolutePath().toString(),
                events.toAbsolutePath().toString())
                .directory(CLIENT.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(node);
        assertThat(node.waitFor(3, TimeUnit.MINUTES)).as("the Node.js producer finished").isTrue();
        assertThat(node.exitValue()).as(Files.readString(output)).isZero();
        assertThat(Files.readString(output).trim())
                .endsWith("{\"predictions\":" + loaded.predictions() + ",\"labels\":" + loaded.labels() + "}");

        ScrapeChecks.awaitEveryRecordAccountedFor(() -> scrape(port), loaded.predictions(), loaded.labels());
        assertThat(PrometheusText.sum(scrape(port), "lossmon_dead_letters_total", Map.of())).isZero();
        ScrapeChecks.awaitLossCliAgreement(() -> scrape(port), loaded.cases());
    }
}
