package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.Directories;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.ServiceJar;
import io.lossmonitor.fixtures.Topics;
import io.lossmonitor.generator.CasesTrafficSink;
import io.lossmonitor.generator.GeneratedRecord;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ScoreKind;
import io.lossmonitor.schema.ScoredEvent;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once books under failures, on the built service, a real broker and the real registry. Generated traffic
 * (delays, early labels, duplicates, corrections, invalid records) flows continuously while: instance A is killed
 * (SIGKILL: no close, no commit) and restarted on its state directory; the broker is restarted; a third instance
 * joins (rebalance); instance B is killed, its state directory wiped, and restarted (restore from changelogs). At
 * the end every input record is accounted for exactly once across the instances' stores; every window of every
 * key, on the {@code loss-windows} topic and in the stores, equals the loss CLI's batch result over the same
 * events; and the {@code scored-events} topic read with {@code read_committed} scores each prediction exactly once.
 */
class CrashRecoveryIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    /**
     * Today's first millisecond (UTC): the traffic's event times span 40 s from it, so every key has one window per
     * size. Not a fixed date: records weeks old fall under the topics' default 7-day retention, and the broker would
     * delete input that a restarted task still has to read.
     */
    private static final long T0 = java.time.LocalDate.now(java.time.ZoneOffset.UTC).atStartOfDay(java.time.ZoneOffset.UTC)
            .toInstant().toEpochMilli();

    /**
     * {@code -Dsoak.minutes=N}: the soak. The same test and end checks after N minutes of load, with the failure
     * cycle repeated every five minutes or so (README, Reliability). Unset, the test run's 90 seconds.
     */
    private static final int SOAK_MINUTES = Integer.getInteger("soak.minutes", 0);

    /** The instances' logs, kept after the run (the temporary directory is not) for a failure to be read. */
    private static final Path LOGS = Path.of("target", "it-logs", "CrashRecoveryIT");

    @FunctionalInterface
    private interface Failure {
        void run() throws Exception;
    }

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, Process> running = new LinkedHashMap<>();
    private int launches;

    @org.junit.jupiter.api.BeforeEach
    void logs() throws Exception {
        Directories.delete(LOGS);
        Files.createDirectories(LOGS);
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : running.values()) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private void launch(String name) throws Exception {
        int port = ports.computeIfAbsent(name, n -> {
            try {
                return ServiceIT.freePort();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--schema-registry-url", REGISTRY.url(),
                "--http-port", Integer.toString(port), "--state-dir", state(name).toString(),
                "--application-server", "127.0.0.1:" + port,
                "--set", "lossmonitor.http.address=127.0.0.1",
                "--set", "lossmonitor.replication-factor=1", "--set", "lossmonitor.standby-replicas=0",
                "--set", "kafka.commit.interval.ms=100",
                // A killed member's partitions move after this long rather than the default 45 s.
                "--set", "kafka.session.timeout.ms=10000",
                "--set", "lossmonitor.model.ranker.num-classes=10", "--set", "lossmonitor.model.tagger.num-classes=5"));
        Process p = ServiceJar.run(LOGS.resolve(name + "-" + (++launches) + ".log"), args.toArray(String[]::new));
        running.put(name, p);
    }

    private Path state(String name) {
        return dir.resolve("state-" + name);
    }

    /** SIGKILL: no shutdown hook, no commit, no close of the stores or the producer's transaction. */
    private void kill(String name) throws Exception {
        Process p = running.remove(name);
        p.destroyForcibly();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    private List<Sample> scrape(String name) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + ports.get(name) + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return PrometheusText.parse(response.body());
    }

    private void awaitAllRunning() {
        try {
            awaitRunning();
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            dumpThreads();
            throw e;
        }
    }

    /** Each instance's threads, next to its log: what a start that never reached RUNNING was waiting for. */
    private void dumpThreads() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        running.forEach((name, p) -> {
            try {
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true).redirectOutput(LOGS.resolve(name + "-threads.txt").toFile()).start();
                dump.waitFor(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // A diagnostic only: the timeout itself is the failure.
            }
        });
    }

    private void awaitRunning() {
        await("every instance RUNNING").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions().untilAsserted(() -> {
                    for (String name : running.keySet()) {
                        assertThat(running.get(name).isAlive()).as(name + " is alive").isTrue();
                        List<Sample> samples = scrape(name);
                        assertThat(PrometheusText.find(samples, "lossmon_streams_state", Map.of("state", "RUNNING")))
                                .as(() -> name + " RUNNING, but it is " + samples.stream()
                                        .filter(x -> x.name().equals("lossmon_streams_state") && x.value() == 1.0)
                                        .map(x -> x.labels().get("state")).toList() + " (log: " + LOGS + ")")
                                .isEqualTo(1.0);
                    }
                });
    }

    /** The record count of a non-transactional topic: the sum of its partitions' end offsets. */
    private static long recordsIn(String topic) throws Exception {
        try (Admin admin = KAFKA.admin()) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    private static double sum(List<Sample> samples, String name, String label, String... values) {
        return samples.stream().filter(s -> s.name().equals(name) && List.of(values).contains(s.labels().get(label)))
                .mapToDouble(Sample::value).sum();
    }

    @Test
    void killsRestartsARebalanceAndAWipedStateKeepTheBooksExact() throws Exception {
        KAFKA.createTopics(4, "predictions", "labels");
        KAFKA.createTopics(1, "models", "scored-events", "late-labels", "loss-monitor-dead-letters", "loss-windows");
        launch("a");
        launch("b");
        awaitAllRunning();

        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        // About 45 predictions (and their labels) a second, all with event times in the first 40 s of the day: every
        // key has one window per size however long the load lasts.
        long total = SOAK_MINUTES > 0 ? SOAK_MINUTES * 2_700L : 4_000;
        TrafficConfig traffic = new TrafficConfig(7, List.of(ModelProfile.parse("fraud:binary:logits"),
                ModelProfile.parse("ranker:multiclass:logits:10"), ModelProfile.parse("tagger:multilabel:probabilities:5")),
                total, total / 40.0, T0, Duration.ofSeconds(2), 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, null);
        StringWriter cases = new StringWriter();
        AtomicLong predictions = new AtomicLong();
        AtomicLong labels = new AtomicLong();
        // The load: paced (at most 100 records a second) so that it lasts through every failure below: about 90 s
        // for the 4,000 predictions of a test run, the given minutes in a soak.
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            // Producers that ignore the keys: about a quarter of the records are in their prediction id's partition
            // and joined there, the others cross the join-input topic, so both paths are killed mid-flight.
            try (KafkaTrafficSink sink = new KafkaTrafficSink(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    KAFKA.bootstrapServers(), ProducerConfig.PARTITIONER_CLASS_CONFIG,
                    org.apache.kafka.clients.producer.RoundRobinPartitioner.class.getName()), registry, "predictions", "labels");
                 CasesTrafficSink expected = new CasesTrafficSink(cases, io.lossmonitor.topology.TopologyConfig.defaults().maxLabelDelay())) {
                Traffic records = new Traffic(traffic);
                long n = 0;
                while (records.hasNext()) {
                    GeneratedRecord r = records.next();
                    sink.accept(r);
                    expected.accept(r);
                    (r instanceof GeneratedRecord.PredictionRecord ? predictions : labels).incrementAndGet();
                    if (++n % 10 == 0) {
                        Thread.sleep(100);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException("the load failed", e);
            }
        });
        // The failures, spread evenly over the load; a soak repeats the cycle (and lets the third instance go again,
        // killed, so that the next cycle can add it back).
        List<Failure> cycle = new ArrayList<>(List.of(
                () -> kill("a"),
                () -> launch("a"),
                KAFKA::restartBrokers,
                () -> launch("c"),
                () -> {
                    kill("b");
                    Directories.delete(state("b"));
                    assertThat(state("b")).doesNotExist();
                    launch("b");
                }));
        List<Failure> failures = new ArrayList<>(cycle);
        if (SOAK_MINUTES > 0) {
            cycle.add(() -> kill("c"));
            failures.clear();
            for (int i = 0; i < Math.max(1, SOAK_MINUTES / 5); i++) {
                failures.addAll(cycle);
            }
        }
        for (int i = 0; i < failures.size(); i++) {
            long due = (i + 1) * total / (failures.size() + 3);
            await().atMost(Duration.ofMinutes(2 + SOAK_MINUTES)).until(() -> predictions.get() >= due);
            failures.get(i).run();
        }
        load.get(5 + SOAK_MINUTES, TimeUnit.MINUTES);
        awaitAllRunning();

        // Every input record, accounted for exactly once over the three instances' stores.
        long predictionsIn = predictions.get();
        long labelsIn = labels.get();
        // What the broker holds is what was published: nothing was lost before the application could read it.
        assertThat(recordsIn("predictions")).as("predictions on the broker").isEqualTo(predictionsIn);
        assertThat(recordsIn("labels")).as("labels on the broker").isEqualTo(labelsIn);
        Map<String, List<Sample>> scrapes = new HashMap<>();
        await("every record accounted for").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions().untilAsserted(() -> {
                    scrapes.clear();
                    for (String name : running.keySet()) {
                        scrapes.put(name, scrape(name));
                    }
                    List<Sample> all = scrapes.values().stream().flatMap(List::stream).toList();
                    assertThat(sum(all, "lossmon_predictions_total", "outcome", "scored", "expired", "invalid", "duplicate")
                            + all.stream().filter(s -> s.name().equals("lossmon_pending_predictions")).mapToDouble(Sample::value).sum()
                            + sum(all, "lossmon_awaiting_schema", "input", "predictions"))
                            .isEqualTo(predictionsIn);
                    assertThat(sum(all, "lossmon_labels_total", "outcome", "joined", "corrected", "late", "invalid", "duplicate")
                            + all.stream().filter(s -> s.name().equals("lossmon_early_labels_pending")).mapToDouble(Sample::value).sum()
                            + sum(all, "lossmon_awaiting_schema", "input", "labels"))
                            .isEqualTo(labelsIn);
                });
        List<Sample> all = scrapes.values().stream().flatMap(List::stream).toList();
        double scored = sum(all, "lossmon_predictions_total", "outcome", "scored");
        double corrected = sum(all, "lossmon_labels_total", "outcome", "corrected");
        assertThat(sum(all, "lossmon_labels_total", "outcome", "joined")).isEqualTo(scored);
        assertThat(scored).isGreaterThan(predictionsIn * 0.8);
        assertThat(corrected).isPositive();

        // The output, read committed: each prediction scored once (a correction retracts and scores it again).
        List<ScoredEvent> events = Topics.readAll(KAFKA, "scored-events",
                new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class))).stream()
                .map(r -> r.value()).toList();
        Map<String, Integer> net = new HashMap<>();
        for (ScoredEvent e : events) {
            net.merge(e.getModelId() + "/" + e.getPredictionId(), e.getKind() == ScoreKind.SCORE ? 1 : -1, Integer::sum);
        }
        assertThat(events).hasSize((int) (scored + 2 * corrected));
        assertThat(net).hasSize((int) scored);
        assertThat(net.values()).allMatch(v -> v == 1);
        // The other outputs hold exactly what the books say: nothing written twice across the failures.
        long invalid = Math.round(sum(all, "lossmon_predictions_total", "outcome", "invalid")
                + sum(all, "lossmon_labels_total", "outcome", "invalid"));
        assertThat(invalid).isPositive();
        assertThat(Topics.readAll(KAFKA, "loss-monitor-dead-letters", new ByteArrayDeserializer())).hasSize((int) invalid);
        assertThat(Topics.readAll(KAFKA, "late-labels", new ByteArrayDeserializer()))
                .hasSize((int) Math.round(sum(all, "lossmon_labels_total", "outcome", "late")));

        // Every window of every key equals the loss CLI's batch result, on the topic and in the stores. The windows
        // are a repartition downstream of the join: their last updates may still be on their way.
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> expectedCases = new ArrayList<>();
        for (String line : cases.toString().split("\n")) {
            expectedCases.add(json.readTree(line));
        }
        await("every window equals the loss CLI").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> compareWindows(registry, expectedCases));
        int compared = expectedCases.size();
        assertThat(compared).isGreaterThan(3 + 10 + 5);
    }

    private void compareWindows(RegistryClient registry, List<JsonNode> cases) throws Exception {
        Map<String, LossWindow> newest = new HashMap<>();
        Topics.readAll(KAFKA, "loss-windows", new AvroDeserializer<>(registry, AvroDeserializer.specificReader(LossWindow.class)))
                .forEach(r -> newest.put(r.key(), r.value()));
        List<Sample> all = new ArrayList<>();
        for (String name : running.keySet()) {
            all.addAll(scrape(name));
        }
        for (JsonNode c : cases) {
            String id = c.get("id").asText().replace("#vector", "");
            double expected = LossCase.evaluate(c).doubleValue();
            long count = c.get("events").asLong();
            String[] mvc = id.split("[@/]");
            String className = mvc.length == 3 ? mvc[2] : "all";
            for (String size : List.of("1m", "1h", "1d")) {
                long sizeMs = io.lossmonitor.config.Durations.parse(size).toMillis();
                List<LossWindow> onTopic = newest.values().stream().filter(w -> w.getModelId().equals(mvc[0])
                        && w.getModelVersion().equals(mvc[1]) && className.equals(w.getClassName() == null ? "all" : w.getClassName())
                        && w.getWindowSizeMs() == sizeMs).toList();
                assertThat(onTopic).as("%s %s windows on the topic", id, size).hasSize(1);
                assertThat(onTopic.get(0).getEventCount()).as("%s %s events on the topic", id, size).isEqualTo(count);
                assertThat(onTopic.get(0).getMean()).as("%s %s mean on the topic", id, size)
                        .isCloseTo(expected, within(1e-12 * Math.abs(expected)));
                Map<String, String> key = Map.of("model", mvc[0], "version", mvc[1], "class", className, "window", size);
                List<Sample> exported = all.stream().filter(s -> s.name().equals("lossmon_window_events")
                        && s.labels().entrySet().containsAll(key.entrySet())).toList();
                assertThat(exported).as("%s %s exported by exactly one instance", id, size).hasSize(1);
                assertThat(exported.get(0).value()).as("%s %s events in the stores", id, size).isEqualTo(count);
                double mean = all.stream().filter(s -> s.name().equals("lossmon_window_loss_mean")
                        && s.labels().entrySet().containsAll(key.entrySet())).findFirst().orElseThrow().value();
                assertThat(mean).as("%s %s mean in the stores", id, size).isCloseTo(expected, within(1e-12 * Math.abs(expected)));
            }
        }
    }
}
