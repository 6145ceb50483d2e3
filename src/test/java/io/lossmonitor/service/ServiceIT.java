package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.ServiceJar;
import io.lossmonitor.fixtures.Preload;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.Names;
import io.lossmonitor.registry.RegistryConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service as built ({@code java -jar target/loss-monitor.jar run}) on a real broker and registry: generated
 * traffic in, then /metrics checked against the loss CLI on the same events, the query API, and a clean SIGTERM.
 */
class ServiceIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process run(Path log, String... args) throws Exception {
        Process p = ServiceJar.run(log, args);
        processes.add(p);
        return p;
    }

    /**
     * Runs the service on the test broker with its seven topics named {@code checked-<setting>}, except those
     * {@code replaced} (by the setting's last part, e.g. {@code dead-letters}).
     */
    private Process runOnCheckedTopics(Path log, String registryUrl, Map<String, String> replaced, String... more)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry-url", registryUrl, "--http-port", "0"));
        for (String topic : List.of("predictions", "labels", "models", "scored-events", "late-labels", "dead-letters",
                "loss-windows")) {
            args.addAll(List.of("--set", "lossmonitor.topics." + topic + "=" + replaced.getOrDefault(topic, "checked-" + topic)));
        }
        args.addAll(List.of(more));
        return run(log, args.toArray(String[]::new));
    }

    private HttpResponse<String> get(int port, String path, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<Sample> scrape(int port) throws Exception {
        return PrometheusText.parse(get(port, "/metrics", null).body());
    }

    /**
     * Run twice: with the default routing (records in their prediction id's partition joined there, others
     * repartitioned), and with inputs keyed by prediction id promised. The generator keys by prediction id; one
     * prediction is also placed in the wrong partition on purpose: repartitioned to its join task by default,
     * dead-lettered when keyed inputs were promised.
     */
    @ParameterizedTest(name = "inputs keyed by prediction id: {0}")
    @ValueSource(booleans = {false, true})
    void metricsMatchTheLossCliAndSigtermExitsCleanly(boolean keyed) throws Exception {
        String suffix = keyed ? "-keyed" : "";
        String predictionsTopic = "predictions" + suffix;
        String labelsTopic = "labels" + suffix;
        String deadLetterTopic = "loss-monitor-dead-letters" + suffix;
        KAFKA.createTopics(2, predictionsTopic, labelsTopic);
        KAFKA.createTopics(1, "models" + suffix, "scored-events" + suffix, "late-labels" + suffix, deadLetterTopic,
                "loss-windows" + suffix);
        int port = freePort();
        Path log = dir.resolve("service.log");
        Process service = run(log, "--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry-url", REGISTRY.url(),
                "--http-port", Integer.toString(port), "--state-dir", dir.resolve("state").toString(),
                "--application-server", "127.0.0.1:" + port, "--application-id", "loss-monitor" + suffix,
                "--set", "lossmonitor.http.address=127.0.0.1",
                "--set", "lossmonitor.replication-factor=1", "--set", "lossmonitor.standby-replicas=0",
                "--set", "kafka.commit.interval.ms=100",
                "--set", "lossmonitor.inputs-keyed-by-prediction-id=" + keyed,
                "--set", "lossmonitor.topics.predictions=" + predictionsTopic,
                "--set", "lossmonitor.topics.labels=" + labelsTopic,
                "--set", "lossmonitor.topics.models=models" + suffix,
                "--set", "lossmonitor.topics.scored-events=scored-events" + suffix,
                "--set", "lossmonitor.topics.late-labels=late-labels" + suffix,
                "--set", "lossmonitor.topics.dead-letters=" + deadLetterTopic,
                "--set", "lossmonitor.topics.loss-windows=loss-windows" + suffix,
                "--set", "lossmonitor.model.ranker.num-classes=10", "--set", "lossmonitor.model.tagger.num-classes=5");
        await("service ready (log: " + log + ")").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    assertThat(service.isAlive()).as(Files.exists(log) ? Files.readString(log) : "").isTrue();
                    try {
                        return get(port, "/health/ready", null).statusCode() == 200;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
        assertThat(Files.readString(log)).contains("input routing: InputRouting[mode="
                + (keyed ? "KEYED" : "LOCAL_FIRST") + ", partitions=2]");
        assertThat(get(port, "/health/live", null).statusCode()).isEqualTo(200);

        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        TrafficConfig traffic = new TrafficConfig(7, List.of(ModelProfile.parse("fraud:binary:logits"),
                ModelProfile.parse("ranker:multiclass:logits:10"), ModelProfile.parse("tagger:multilabel:probabilities:5")),
                1500, 300, T0, Duration.ofSeconds(10), 0.05, 0.05, 0.02, 0.02, 0.02, 0.02, null);
        Preload.Loaded loaded = Preload.load(KAFKA, registry, predictionsTopic, labelsTopic, traffic, Duration.ofDays(7));
        long predictionsIn = loaded.predictions() + 1;
        String misplacedId = "misplaced-0";
        {
            // A valid prediction in the other partition than its id's. Keyed: dead-lettered, not left to wait forever;
            // otherwise repartitioned to its id's join task (the rest, keyed by the generator, are joined where they are).
            Prediction misplaced = Prediction.newBuilder().setPredictionId(misplacedId).setModelId("fraud")
                    .setModelVersion("v1").setTimestamp(Instant.ofEpochMilli(T0)).setTask(Task.BINARY)
                    .setOutput(OutputKind.LOGITS).setScores(List.of(0.5)).build();
            int home = BuiltInPartitioner.partitionForKey(misplacedId.getBytes(StandardCharsets.UTF_8), 2);
            try (KafkaProducer<String, Prediction> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()), new StringSerializer(),
                    new AvroSerializer<>(registry, false))) {
                producer.send(new ProducerRecord<>(predictionsTopic, 1 - home, T0, misplacedId, misplaced)).get();
            }
        }
        long labelsIn = loaded.labels();
        ScrapeChecks.awaitEveryRecordAccountedFor(() -> scrape(port), predictionsIn, labelsIn);
        List<Sample> m = scrape(port);
        // Every WRONG_PARTITION dead letter is the misplaced one: the generator's producer, keying by prediction id
        // with the default partitioner, placed every other record where the intake expects it.
        List<String> wrongPartition = wrongPartitionIds(deadLetterTopic,
                (long) PrometheusText.sum(m, "lossmon_dead_letters_total", Map.of()));
        assertThat(wrongPartition).isEqualTo(keyed ? List.of(misplacedId) : List.of());
        assertThat(PrometheusText.sum(m, "lossmon_dead_letters_total", Map.of()))
                .isEqualTo(PrometheusText.sum(m, "lossmon_predictions_total", Map.of("outcome", "invalid"))
                        + PrometheusText.sum(m, "lossmon_labels_total", Map.of("outcome", "invalid")));
        assertThat(PrometheusText.sum(m, "lossmon_label_delay_seconds_count", Map.of()))
                .isEqualTo(PrometheusText.sum(m, "lossmon_labels_total", Map.of("outcome", "joined")));
        assertThat(PrometheusText.sum(m, "lossmon_streams_state", Map.of("state", "RUNNING"))).isEqualTo(1.0);
        assertThat(PrometheusText.sum(m, "lossmon_build_info", Map.of())).isEqualTo(1.0);
        assertThat(m).anyMatch(s -> s.name().startsWith("kafka_stream_"));

        ScrapeChecks.awaitLossCliAgreement(() -> scrape(port), loaded.cases());
        m = scrape(port);
        // Every metric a dashboard panel or alert rule names is one the service really exports.
        String scrape = get(port, "/metrics", null).body();
        Files.writeString(Path.of("target", "service-metrics.txt"), scrape);
        java.util.Set<String> exported = new java.util.HashSet<>();
        PrometheusText.parse(scrape).forEach(s -> exported.add(s.name()));
        assertThat(exported).containsAll(io.lossmonitor.deploy.DeploymentFiles.metricNames());
        assertThat(m).anyMatch(s -> s.name().equals("lossmon_prediction_entropy_mean"))
                .anyMatch(s -> s.name().equals("lossmon_predicted_class_ratio"));

        // OpenMetrics when asked for.
        HttpResponse<String> openMetrics = get(port, "/metrics", "application/openmetrics-text; version=1.0.0");
        assertThat(openMetrics.headers().firstValue("Content-Type").orElse("")).startsWith("application/openmetrics-text");
        assertThat(openMetrics.body()).contains("# EOF");

        // The query API.
        ObjectMapper json = new ObjectMapper();
        JsonNode models = json.readTree(get(port, "/api/v1/models", null).body());
        assertThat(models.get("models").findValuesAsText("model")).contains("fraud", "ranker", "tagger");
        JsonNode windows = json.readTree(get(port, "/api/v1/models/ranker/windows?version=v1&size=1m&from="
                + Instant.ofEpochMilli(T0) + "&to=" + Instant.ofEpochMilli(T0 + 60_000), null).body());
        assertThat(windows.get("windows")).hasSize(1);
        assertThat(windows.get("windows").get(0).get("start").asText()).isEqualTo(Instant.ofEpochMilli(T0).toString());
        assertThat(get(port, "/api/v1/models/ranker/windows?size=1m", null).statusCode()).isEqualTo(400);
        assertThat(get(port, "/api/v1/models/ranker/windows?version=v1&size=7m", null).body()).contains("not aggregated");
        assertThat(get(port, "/api/v1/models/ranker/windows?version=v1&size=1m&from=2000-01-01T00:00:00Z", null).body())
                .contains("at most 10000 per request");

        // SIGTERM: a clean stop with exit status 0.
        service.destroy();
        assertThat(service.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(service.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("loss-monitor stopped").doesNotContain("did not finish closing");
    }

    /** Reads the {@code expected} dead letters of {@code topic}; returns the keys of those with reason WRONG_PARTITION. */
    private static List<String> wrongPartitionIds(String topic, long expected) {
        List<String> ids = new ArrayList<>();
        long[] read = {0};
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-reader-" + topic), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await("all " + expected + " dead letters read").atMost(Duration.ofMinutes(1)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read[0]++;
                    var reason = r.headers().lastHeader(Names.HEADER_REASON);
                    if (reason != null && new String(reason.value(), StandardCharsets.UTF_8).equals("WRONG_PARTITION")) {
                        ids.add(r.key());
                    }
                }
                return read[0] >= expected;
            });
        }
        return ids;
    }

    @Test
    void configurationErrorsStopTheStartWithAPreciseMessage() throws Exception {
        Path log = dir.resolve("bad.log");
        Process missing = run(log, "--set", "lossmonitor.max-label-delay=soon");
        assertThat(missing.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(missing.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log)).contains("missing lossmonitor.bootstrap-servers")
                .contains("missing lossmonitor.schema-registry-url")
                .contains("lossmonitor.max-label-delay (from command line): 'soon' is not a duration");

        KAFKA.createTopics(2, "checked-predictions", "checked-labels");
        KAFKA.createTopics(1, "checked-models", "checked-scored-events", "checked-late-labels", "checked-dead-letters",
                "checked-loss-windows");
        Path log2 = dir.resolve("unreachable.log");
        Process unreachable = runOnCheckedTopics(log2, "http://127.0.0.1:" + freePort(), Map.of(),
                "--set", "registry.max.retries=0");
        assertThat(unreachable.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(unreachable.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log2)).contains("is unreachable").contains("effective configuration:");

        KAFKA.createTopics(2, "uneven-predictions");
        KAFKA.createTopics(3, "uneven-labels");
        Path log3 = dir.resolve("uneven.log");
        Process uneven = run(log3, "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry-url", REGISTRY.url(), "--http-port", "0",
                "--set", "lossmonitor.inputs-keyed-by-prediction-id=true",
                "--set", "lossmonitor.topics.predictions=uneven-predictions",
                "--set", "lossmonitor.topics.labels=uneven-labels");
        assertThat(uneven.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(uneven.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log3)).contains("lossmonitor.inputs-keyed-by-prediction-id needs uneven-predictions"
                + " and uneven-labels to have the same number of partitions, but they have 2 and 3");

        Path log4 = dir.resolve("no-inputs.log");
        Process noInputs = run(log4, "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry-url", REGISTRY.url(), "--http-port", "0",
                "--set", "lossmonitor.topics.predictions=never-created-predictions",
                "--set", "lossmonitor.topics.labels=checked-labels");
        assertThat(noInputs.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(noInputs.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log4)).contains("lossmonitor.topics.predictions: topic 'never-created-predictions'"
                + " does not exist (the service reads it; create it first)").contains("effective configuration:");

        // An output topic that is missing would stop the stream thread at its first record (a dead letter perhaps
        // days later), one too small for the largest record at the first large event: both stop the start instead.
        try (Admin admin = KAFKA.admin()) {
            admin.createTopics(List.of(new NewTopic("small-scored-events", 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "500000")))).all().get(60, TimeUnit.SECONDS);
        }
        Path log5 = dir.resolve("outputs.log");
        Process outputs = runOnCheckedTopics(log5, REGISTRY.url(), Map.of("scored-events", "small-scored-events",
                "dead-letters", "never-created-dead-letters"));
        assertThat(outputs.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(outputs.exitValue()).isEqualTo(2);
        // Both problems at once, and none about the topics that are fine.
        assertThat(Files.readString(log5)).contains("lossmonitor.topics.dead-letters: topic 'never-created-dead-letters'"
                + " does not exist (the service writes it; create it first)")
                .contains("lossmonitor.topics.scored-events: topic 'small-scored-events' takes records of up to 500000"
                        + " bytes (max.message.bytes), but with lossmonitor.max-scores 10000 the service may write"
                        + " records of up to 789632 bytes to it")
                .doesNotContain("checked-late-labels' takes").doesNotContain("internal topic");

        // Twice the scores: outputs made large enough, the service raises its producer's limit itself, but an
        // internal topic left from a run with the default limit would take only 1 MB.
        try (Admin admin = KAFKA.admin()) {
            Map<String, String> twoMegabytes = Map.of("max.message.bytes", Integer.toString(2 << 20));
            admin.createTopics(List.of(new NewTopic("large-scored-events", 1, (short) 1).configs(twoMegabytes),
                    new NewTopic("large-late-labels", 1, (short) 1).configs(twoMegabytes),
                    new NewTopic("large-dead-letters", 1, (short) 1).configs(twoMegabytes),
                    new NewTopic("raised-join-predictions-changelog", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Path log6 = dir.resolve("raised.log");
        Process raised = runOnCheckedTopics(log6, REGISTRY.url(), Map.of("scored-events", "large-scored-events",
                "late-labels", "large-late-labels", "dead-letters", "large-dead-letters"),
                "--application-id", "raised", "--set", "lossmonitor.max-scores=20000");
        assertThat(raised.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(raised.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log6)).contains("internal topic 'raised-join-predictions-changelog' takes records of"
                + " up to 1048588 bytes (max.message.bytes), but with lossmonitor.max-scores 20000 the service may"
                + " write records of up to 1509632 bytes to it")
                .doesNotContain(": topic '").doesNotContain("max.request.size of");

        // The inputs (2 partitions) grown since a run whose join state has 1: Kafka Streams cannot move state.
        KAFKA.createTopics(1, "grown-join-predictions-changelog");
        Path log7 = dir.resolve("grown.log");
        Process grown = runOnCheckedTopics(log7, REGISTRY.url(), Map.of(), "--application-id", "grown");
        assertThat(grown.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(grown.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log7)).contains("internal topic 'grown-join-predictions-changelog' has 1 partitions,"
                + " but with the inputs' 2 partitions (and lossmonitor.partitions 0) the application needs 2");
    }
}
