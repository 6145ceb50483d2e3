package io.lossmonitor.bench;

import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.Directories;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.LossTopology;
import io.lossmonitor.topology.StreamsSettings;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.TopologySerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Open-loop latency from a label's arrival in Kafka to its scored event being readable: predictions and labels are
 * sent on a fixed schedule (each label 200 ms after its prediction) at a given share of the maximum throughput,
 * whatever the application's pace; the labels topic stamps records with the broker's append time, and a
 * {@code read_committed} consumer of {@code scored-events} takes the difference to its own clock on arrival (same
 * machine, same clock; millisecond resolution). Reported per guarantee (at-least-once; exactly_once_v2 with a
 * 100 ms commit interval) and load: p50, p99, p99.9 and labels not scored within 30 s; and the same percentiles to
 * the label's window update: the first {@code loss-windows} record (read committed) of its prediction's 1-minute
 * model window whose event count reaches the label's rank among that window's scores (counts only grow, so this is
 * when the window includes as many events as had been scored up to this label). Run:
 * {@code ./mvnw -B -q -Pbench test-compile exec:exec -Dbench.main=io.lossmonitor.bench.LatencyBenchmark
 * -Dbench.args="MAX_RECORDS_PER_S [repartitioned|keyed] [own-jvm]"} with the loss-monitor records/s the end-to-end
 * benchmark measured at C = 10. The producer keys every record by its prediction id, so with the service's default
 * routing (LOCAL_FIRST) every record is joined where it is; {@code repartitioned}: every record crosses the join-input
 * topic, as records of producers that key otherwise do; {@code keyed}: {@code inputs-keyed-by-prediction-id}; {@code own-jvm}:
 * the application as the service in a child JVM instead of in the benchmark's, which also hosts the broker, the
 * registry's client, the load generator and the reader).
 */
public final class LatencyBenchmark {

    private static final int CLASSES = 10;
    /** Each row's application is new (its stores, topics, producers); its first 15 s or so ran slower (p50 20-40 ms). */
    private static final Duration WARM_UP = Duration.ofSeconds(20);
    /** A child JVM starts cold for every run (a first try with 10 s measured seconds of backlog throughout). */
    private static final Duration WARM_UP_OWN_JVM = Duration.ofSeconds(45);
    private static final Duration MEASURE = Duration.ofSeconds(30);
    private static final long LABEL_LAG_MS = 200;

    private LatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double max = args.length > 0 ? Double.parseDouble(args[0]) : 3000;
        List<String> flags = Arrays.asList(args).subList(Math.min(1, args.length), args.length);
        InputRouting.Mode mode = flags.contains("keyed") ? InputRouting.Mode.KEYED
                : flags.contains("repartitioned") ? InputRouting.Mode.REPARTITION : InputRouting.Mode.LOCAL_FIRST;
        // "own-jvm": the application runs as the service in a child JVM (its own heap and collector), so its tail is
        // not the broker's, the registry's or the load generator's garbage collection.
        boolean ownJvm = flags.contains("own-jvm");
        if (ownJvm && mode == InputRouting.Mode.REPARTITION) {
            throw new IllegalArgumentException("own-jvm runs the service, which repartitions every record only for inputs"
                    + " whose partition counts differ; measure 'repartitioned' in process");
        }
        List<String> results = new ArrayList<>();
        try (EmbeddedKafka kafka = Benchmarks.broker(); ApicurioRegistry registryServer = new ApicurioRegistry()) {
            kafka.start();
            registryServer.start();
            RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, registryServer.url())));
            System.out.printf(Locale.ROOT, "%-16s %6s %10s %9s %9s %9s %9s %9s %11s %11s %11s%n", "guarantee", "load",
                    "records/s", "labels", "p50 ms", "p99 ms", "p99.9 ms", "unscored", "window p50", "window p99",
                    "window p99.9");
            int run = 0;
            // One unreported run first: otherwise the first measured one pays for the JVM's warm-up (an earlier run
            // measured its p50 in seconds while the later ones at a higher load measured tens of milliseconds).
            measure(kafka, registry, registryServer.url(), "lat-warm", StreamsConfig.AT_LEAST_ONCE, 0.5 * max, mode, ownJvm);
            for (String guarantee : List.of(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2)) {
                for (double load : List.of(0.5, 0.8)) {
                    double rate = load * max;
                    long[][] both = measure(kafka, registry, registryServer.url(), "lat" + (run++), guarantee, rate, mode,
                            ownJvm);
                    long[] latencies = both[0];
                    double[] p = {percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 0.999)};
                    double[] w = {percentile(both[1], 0.50), percentile(both[1], 0.99), percentile(both[1], 0.999)};
                    long unscored = latencies.length == 0 ? -1 : Arrays.stream(latencies).filter(l -> l < 0).count();
                    System.out.printf(Locale.ROOT, "%-16s %5.0f%% %10.0f %9d %9.0f %9.0f %9.0f %9d %11.0f %11.0f %11.0f%n",
                            guarantee, load * 100, rate, latencies.length, p[0], p[1], p[2], unscored, w[0], w[1], w[2]);
                    String tag = (mode == InputRouting.Mode.LOCAL_FIRST ? "" : mode.name().toLowerCase(Locale.ROOT) + "_") + (guarantee.equals(StreamsConfig.AT_LEAST_ONCE) ? "alos" : "eos") + "_" + Math.round(load * 100);
                    results.add(String.format(Locale.ROOT, "p50_%s_ms=%.0f p99_%s_ms=%.0f p999_%s_ms=%.0f"
                                    + " p50_window_%s_ms=%.0f p99_window_%s_ms=%.0f", tag, p[0], tag, p[1], tag, p[2],
                            tag, w[0], tag, w[1]));
                }
            }
        }
        System.out.println("RESULT " + String.join(" ", results));
        System.exit(0);
    }

    /**
     * Latencies in ms of the labels sent during the measurement window, to the scored event and to the window
     * update; -1 for one not scored (or not in a window update) within 30 s.
     */
    private static long[][] measure(EmbeddedKafka kafka, RegistryClient registry, String registryUrl, String prefix,
                                    String guarantee, double recordsPerSecond, InputRouting.Mode mode, boolean ownJvm)
            throws Exception {
        TopologyConfig base = TopologyConfig.defaults().withTopics(prefix + "-predictions", prefix + "-labels",
                prefix + "-models", prefix + "-scored", prefix + "-late", prefix + "-dead", prefix + "-windows");
        // Both topics have 2 partitions, and the producer below keys every record by its prediction id.
        TopologyConfig config = base.withInputRouting(switch (mode) {
            case REPARTITION -> InputRouting.repartition();
            case LOCAL_FIRST -> InputRouting.localFirst(2);
            case KEYED -> InputRouting.keyed(2);
        });
        try (var admin = kafka.admin()) {
            admin.createTopics(List.of(new NewTopic(config.predictionsTopic(), 2, (short) 1),
                    new NewTopic(config.labelsTopic(), 2, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")),
                    new NewTopic(config.modelsTopic(), 1, (short) 1),
                    // Append time: the timeline dump tells the service's and the broker's part from the reader's.
                    new NewTopic(config.scoredEventsTopic(), 1, (short) 1).configs(Map.of("message.timestamp.type", "LogAppendTime")),
                    new NewTopic(config.lateLabelsTopic(), 1, (short) 1), new NewTopic(config.deadLetterTopic(), 1, (short) 1),
                    new NewTopic(config.lossWindowsTopic(), 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Duration warmUp = ownJvm ? WARM_UP_OWN_JVM : WARM_UP;
        Timeline timeline = new Timeline(recordsPerSecond, warmUp.plus(MEASURE));
        Map<Long, List<long[]>> windowUpdates = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (AutoCloseable app = ownJvm ? childApplication(kafka, registryUrl, prefix, guarantee, mode, config)
                : inProcess(kafka, registry, prefix, guarantee, config)) {
            Thread reader = Thread.ofPlatform().name("latency-reader")
                    .start(() -> read(kafka, registry, config, timeline, windowUpdates, stop));
            send(kafka, registry, config, timeline, warmUp);
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && !timeline.allMeasuredScored()) {
                Thread.sleep(100);
            }
            // The windows trail the scores by up to a flush interval and a commit.
            Thread.sleep(config.windowFlushInterval().toMillis() + 2_000);
            stop.set(true);
            reader.join();
            long[] windowedAt = windowedAt(timeline, windowUpdates);
            dumpTimeline(prefix, timeline);
            int n = Math.max(0, timeline.lastMeasured - timeline.firstMeasured + 1);
            long[] scored = new long[n];
            long[] windowed = new long[n];
            for (int i = 0; i < n; i++) {
                int k = timeline.firstMeasured + i;
                long arrival = timeline.labelArrival.get(k);
                long at = timeline.scoredAt.get(k);
                scored[i] = at >= 0 && arrival >= 0 ? Math.max(0, at - arrival) : -1;
                windowed[i] = windowedAt[k] >= 0 && arrival >= 0 ? Math.max(0, windowedAt[k] - arrival) : -1;
            }
            return new long[][] {scored, windowed};
        }
    }

    /**
     * With {@code -Dbench.latency.dump=DIR}: each measured label's arrival (epoch ms), latency in ms (-1 unscored) and
     * the part of it until its scored event was appended to its topic (before it is readable: exactly-once, at the
     * commit; the rest is the reader's) to {@code DIR/PREFIX.csv}, to line the tail up with what else happened then
     * (e.g. a GC log with wall-clock time).
     */
    private static void dumpTimeline(String prefix, Timeline timeline) throws java.io.IOException {
        String dir = System.getProperty("bench.latency.dump");
        if (dir == null || dir.isBlank()) {
            return;
        }
        StringBuilder csv = new StringBuilder("label_arrival_ms,latency_ms,to_append_ms\n");
        for (int k = timeline.firstMeasured; k <= timeline.lastMeasured; k++) {
            long arrival = timeline.labelArrival.get(k);
            if (arrival >= 0) {
                long scored = timeline.scoredAt.get(k);
                long appended = timeline.scoredAppended.get(k);
                csv.append(arrival).append(',').append(scored < 0 ? -1 : Math.max(0, scored - arrival)).append(',')
                        .append(appended < 0 ? -1 : appended - arrival).append('\n');
            }
        }
        Files.createDirectories(Path.of(dir));
        Files.writeString(Path.of(dir, prefix + ".csv"), csv);
    }

    /** The application in this JVM, started and RUNNING. */
    private static KafkaStreams inProcess(EmbeddedKafka kafka, RegistryClient registry, String prefix, String guarantee,
                                          TopologyConfig config) throws Exception {
        Properties props = StreamsSettings.defaults(prefix, kafka.bootstrapServers(), config);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Directories.scratch(prefix + "-").toString());
        props.putAll(Benchmarks.streamsOverrides());
        TopologySerdes serdes = new TopologySerdes(registry);
        serdes.resolveOutputSchemas(config);
        KafkaStreams streams = new KafkaStreams(LossTopology.build(config, serdes), props);
        streams.start();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            Thread.sleep(50);
        }
        return streams;
    }

    /**
     * The application as the service ({@code run}) in a child JVM with this one's class path and the service jar's
     * JVM flags, configured as {@link #inProcess} configures the in-process one; ready when its readiness endpoint
     * says so. Closing it stops it as an operator would (SIGTERM), forcibly after a minute.
     */
    private static AutoCloseable childApplication(EmbeddedKafka kafka, String registryUrl, String prefix,
                                                  String guarantee, InputRouting.Mode mode, TopologyConfig config)
            throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), "io.lossmonitor.cli.LossMonitorCommand", "run",
                "--bootstrap-servers", kafka.bootstrapServers(), "--schema-registry-url", registryUrl,
                "--http-port", Integer.toString(port), "--state-dir", Directories.scratch(prefix + "-").toString()));
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("lossmonitor.application-id", prefix);
        settings.put("lossmonitor.topics.predictions", config.predictionsTopic());
        settings.put("lossmonitor.topics.labels", config.labelsTopic());
        settings.put("lossmonitor.topics.models", config.modelsTopic());
        settings.put("lossmonitor.topics.scored-events", config.scoredEventsTopic());
        settings.put("lossmonitor.topics.late-labels", config.lateLabelsTopic());
        settings.put("lossmonitor.topics.dead-letters", config.deadLetterTopic());
        settings.put("lossmonitor.topics.loss-windows", config.lossWindowsTopic());
        settings.put("lossmonitor.replication-factor", "1");
        settings.put("lossmonitor.standby-replicas", "0");
        settings.put("lossmonitor.inputs-keyed-by-prediction-id", Boolean.toString(mode == InputRouting.Mode.KEYED));
        settings.put("kafka." + StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put("kafka." + StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        Benchmarks.streamsOverrides().forEach((k, v) -> settings.put("kafka." + k, v));
        settings.forEach((k, v) -> command.addAll(List.of("--set", k + "=" + v)));
        Path log = Files.createTempFile(prefix + "-application-", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        AutoCloseable stop = () -> {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        };
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest ready = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/health/ready")).build();
        long deadline = System.currentTimeMillis() + 180_000;
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the application exited with status " + process.exitValue() + "; see " + log);
            }
            try {
                if (http.send(ready, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException e) {
                // Not listening yet.
            }
            if (System.currentTimeMillis() > deadline) {
                stop.close();
                throw new IllegalStateException("the application was not ready within 3 minutes; see " + log);
            }
            Thread.sleep(100);
        }
        System.out.println("  " + prefix + ": the application runs in its own JVM (pid " + process.pid() + ", log " + log + ")");
        return stop;
    }

    /**
     * When each scored label was in its window: the k-th score of a 1-minute window (in the order scores became
     * readable) is in it at the first update whose event count reaches k.
     */
    private static long[] windowedAt(Timeline timeline, Map<Long, List<long[]>> windowUpdates) {
        Map<Long, List<Integer>> byWindow = new java.util.HashMap<>();
        for (int k = 0; k < timeline.pairs; k++) {
            if (timeline.scoredAt.get(k) >= 0) {
                byWindow.computeIfAbsent(timeline.predictionTime.get(k) / 60_000 * 60_000, w -> new ArrayList<>()).add(k);
            }
        }
        long[] out = new long[timeline.pairs];
        Arrays.fill(out, -1);
        byWindow.forEach((start, ids) -> {
            ids.sort(java.util.Comparator.comparingLong(timeline.scoredAt::get));
            List<long[]> updates = windowUpdates.getOrDefault(start, List.of());
            int u = 0;
            for (int k = 0; k < ids.size(); k++) {
                while (u < updates.size() && updates.get(u)[0] < k + 1) {
                    u++;
                }
                if (u < updates.size()) {
                    out[ids.get(k)] = updates.get(u)[1];
                }
            }
        });
        return out;
    }

    /** Sends the schedule, noting which labels were sent inside the measurement window. */
    private static void send(EmbeddedKafka kafka, RegistryClient registry, TopologyConfig config, Timeline timeline,
                             Duration warmUp) throws Exception {
        AvroSerializer<Prediction> predictions = new AvroSerializer<>(registry, false);
        AvroSerializer<Label> labels = new AvroSerializer<>(registry, false);
        SplittableRandom random = new SplittableRandom(5);
        long pairIntervalNanos = timeline.pairIntervalNanos;
        int lagPairs = (int) Math.max(1, LABEL_LAG_MS * 1_000_000 / pairIntervalNanos);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long warmUpEnd = start + warmUp.toNanos();
            long end = warmUpEnd + MEASURE.toNanos();
            for (int k = 0; k < timeline.pairs; k++) {
                long due = start + k * pairIntervalNanos;
                if (due >= end) {
                    break;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                long now = System.currentTimeMillis();
                String id = "p" + k;
                timeline.predictionTime.set(k, now);
                double[] logits = random.doubles(CLASSES, -3, 3).toArray();
                Prediction p = Prediction.newBuilder().setPredictionId(id).setModelId("m").setModelVersion("v1")
                        .setTimestamp(Instant.ofEpochMilli(now)).setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS)
                        .setScores(Arrays.stream(logits).boxed().toList()).build();
                producer.send(new ProducerRecord<>(config.predictionsTopic(), null, now, id.getBytes(),
                        predictions.serialize(config.predictionsTopic(), p)));
                if (k >= lagPairs) {
                    int labelledIndex = k - lagPairs;
                    String labelled = "p" + labelledIndex;
                    Label l = Label.newBuilder().setPredictionId(labelled).setModelId("m").setTimestamp(Instant.ofEpochMilli(now))
                            .setTarget(random.nextInt(CLASSES)).build();
                    boolean inWindow = due >= warmUpEnd;
                    if (inWindow) {
                        timeline.firstMeasured = Math.min(timeline.firstMeasured, labelledIndex);
                        timeline.lastMeasured = labelledIndex;
                    }
                    producer.send(new ProducerRecord<>(config.labelsTopic(), null, null, labelled.getBytes(),
                            labels.serialize(config.labelsTopic(), l)), (metadata, e) -> {
                                if (e == null) {
                                    timeline.labelArrival.set(labelledIndex, metadata.timestamp());
                                }
                            });
                }
            }
        }
    }

    /** Reads scored events and the model's 1-minute window updates (count, arrival) as they become readable. */
    private static void read(EmbeddedKafka kafka, RegistryClient registry, TopologyConfig config, Timeline timeline,
                             Map<Long, List<long[]>> windowUpdates, AtomicBoolean stop) {
        var scored = new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class));
        var windows = new AvroDeserializer<>(registry, AvroDeserializer.specificReader(LossWindow.class));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = List.of(new TopicPartition(config.scoredEventsTopic(), 0),
                    new TopicPartition(config.lossWindowsTopic(), 0));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (!stop.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(5))) {
                    long now = System.currentTimeMillis();
                    if (r.topic().equals(config.scoredEventsTopic())) {
                        String id = scored.deserialize(r.topic(), r.value()).getPredictionId();
                        int k = Integer.parseInt(id, 1, id.length(), 10);
                        if (timeline.scoredAt.compareAndSet(k, -1, now)) {
                            timeline.scoredAppended.set(k, r.timestamp());
                        }
                        continue;
                    }
                    LossWindow w = windows.deserialize(r.topic(), r.value());
                    if (w.getClassName() == null && w.getWindowSizeMs() == 60_000) {
                        windowUpdates.computeIfAbsent(w.getWindowStart().toEpochMilli(), k -> new ArrayList<>())
                                .add(new long[] {w.getEventCount(), now});
                    }
                }
            }
        }
    }

    /**
     * The times recorded per prediction and label pair k (prediction id {@code "p" + k}), -1 until known: primitive
     * arrays allocated once per run. The first version kept them in maps keyed by id, several hundred thousand
     * entries per run that survived young collections, so the collector copied tens of megabytes of the benchmark's
     * own bookkeeping at every pause of the JVM the application shares with it (64 MB of survivors; pauses of 40 ms
     * at the median and up to 150 ms, most of it copying, against 14 ms and up to 57 ms with the arrays).
     */
    private static final class Timeline {
        final long pairIntervalNanos;
        final int pairs;
        final java.util.concurrent.atomic.AtomicLongArray predictionTime;
        final java.util.concurrent.atomic.AtomicLongArray labelArrival;
        final java.util.concurrent.atomic.AtomicLongArray scoredAt;
        /** The scored event's append time on the broker (its topic stamps append time). */
        final java.util.concurrent.atomic.AtomicLongArray scoredAppended;
        /** The labels sent inside the measurement window, a contiguous range (written by the sending thread only). */
        volatile int firstMeasured = Integer.MAX_VALUE;
        volatile int lastMeasured = -1;

        Timeline(double recordsPerSecond, Duration schedule) {
            pairIntervalNanos = (long) (2e9 / recordsPerSecond);
            pairs = (int) (schedule.toNanos() / pairIntervalNanos) + 1;
            predictionTime = unknown(pairs);
            labelArrival = unknown(pairs);
            scoredAt = unknown(pairs);
            scoredAppended = unknown(pairs);
        }

        private static java.util.concurrent.atomic.AtomicLongArray unknown(int n) {
            long[] values = new long[n];
            Arrays.fill(values, -1);
            return new java.util.concurrent.atomic.AtomicLongArray(values);
        }

        boolean allMeasuredScored() {
            for (int k = firstMeasured; k <= lastMeasured; k++) {
                if (scoredAt.get(k) < 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static double percentile(long[] values, double q) {
        long[] scored = Arrays.stream(values).filter(v -> v >= 0).sorted().toArray();
        if (scored.length == 0) {
            return Double.NaN;
        }
        return scored[(int) Math.min(scored.length - 1, Math.ceil(q * scored.length) - 1)];
    }
}
