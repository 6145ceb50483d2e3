package io.lossmonitor.demo;

import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.generator.TrafficRunner;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.service.LossMonitorService;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The one-command demo: an embedded broker and registry (unless given), the topics, the service, and a generator
 * with three models (binary on logits, 10-class on logits, 5-label multi-label on probabilities), delayed labels
 * and a drift in {@code ranker}, with a progress line every few seconds. Stops at the duration or the stop signal,
 * leaving nothing running.
 */
public final class Demo {

    /**
     * @param duration   how long to run, or null until stopped
     * @param prometheus the prometheus binary to start, or null
     */
    public record Options(Duration duration, int httpPort, String bootstrapServers, String registryUrl,
                          Path prometheus, double rate, Duration driftAfter, Duration progressEvery) {
    }

    private static final List<String> MODELS = List.of("fraud", "ranker", "tagger");
    private static final java.time.format.DateTimeFormatter CLOCK = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    private Demo() {
    }

    public static void run(Options options, Path target, CountDownLatch stop, PrintWriter out) throws Exception {
        try (ChildProcesses children = new ChildProcesses(target)) {
            String bootstrap = options.bootstrapServers();
            String registryUrl = options.registryUrl();
            if (bootstrap == null) {
                out.println("starting a Kafka broker (KRaft) ...");
                out.flush();
                bootstrap = children.startKafka();
            }
            if (registryUrl == null) {
                out.println("starting the schema registry ...");
                out.flush();
                registryUrl = children.startRegistry();
            }
            createTopics(bootstrap);
            Map<String, String> settings = new HashMap<>();
            settings.put("lossmonitor.bootstrap-servers", bootstrap);
            settings.put("lossmonitor.schema-registry-url", registryUrl);
            settings.put("lossmonitor.http.port", Integer.toString(options.httpPort()));
            settings.put("lossmonitor.application-server", "localhost:" + options.httpPort());
            settings.put("lossmonitor.application-id", "loss-monitor-demo");
            settings.put("lossmonitor.state-dir", children.work().resolve("state").toString());
            settings.put("lossmonitor.replication-factor", "1");
            settings.put("lossmonitor.standby-replicas", "0");
            settings.put("lossmonitor.model.ranker.num-classes", "10");
            settings.put("lossmonitor.model.tagger.num-classes", "5");
            settings.put("kafka.commit.interval.ms", "1000");
            try (LossMonitorService service = new LossMonitorService(ServiceConfig.load(null, Map.of(), settings), "demo")) {
                service.start();
                String base = "http://localhost:" + service.httpPort();
                out.println("loss-monitor demo is running");
                out.println("  metrics    " + base + "/metrics");
                out.println("  query API  " + base + "/api/v1/models");
                out.println("  windows    " + base + "/api/v1/models/ranker/windows?version=v1&size=1m");
                if (options.prometheus() != null) {
                    Path rules = target.resolveSibling("grafana").resolve("prometheus").resolve("alerts.yml");
                    if (Files.isExecutable(options.prometheus()) && Files.exists(rules)) {
                        out.println("  prometheus " + children.startPrometheus(options.prometheus(), service.httpPort(), rules)
                                + "/alerts (the project's alert rules)");
                    } else {
                        out.println("  prometheus not started: " + options.prometheus() + " or " + rules + " is missing");
                    }
                }
                out.println("  drift      'ranker' becomes miscalibrated after " + options.driftAfter().toSeconds() + " s");
                out.println("Ctrl-C stops everything.");
                out.flush();
                AtomicBoolean stopping = new AtomicBoolean();
                Thread generator = generator(bootstrap, registryUrl, options, stopping, out);
                progress(service, options, stop, out);
                stopping.set(true);
                generator.join(TimeUnit.SECONDS.toMillis(30));
                out.println("stopping ...");
                out.flush();
            }
        }
        out.println("demo stopped; nothing left running.");
        out.flush();
    }

    private static void createTopics(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : List.of("predictions", "labels", "scored-events", "late-labels", "loss-monitor-dead-letters")) {
                topics.add(new NewTopic(t, 3, (short) 1));
            }
            for (String t : List.of("models", "loss-windows")) {
                topics.add(new NewTopic(t, 3, (short) 1).configs(Map.of("cleanup.policy", "compact")));
            }
            for (var result : admin.createTopics(topics).values().values()) {
                try {
                    result.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    private static Thread generator(String bootstrap, String registryUrl, Options options, AtomicBoolean stopping,
                                    PrintWriter out) {
        long start = System.currentTimeMillis();
        List<ModelProfile> models = new ArrayList<>();
        for (String m : ModelProfile.DEMO.split(",")) {
            models.add(ModelProfile.parse(m));
        }
        TrafficConfig config = new TrafficConfig(System.nanoTime(), models, Long.MAX_VALUE, options.rate(), start,
                Duration.ofSeconds(20), 0.05, 0.02, 0.01, 0.01, 0.01, 0.002,
                new TrafficConfig.Drift("ranker", start + options.driftAfter().toMillis(), TrafficConfig.Drift.Kind.MISCALIBRATION));
        Thread thread = new Thread(() -> {
            RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, registryUrl)));
            try (KafkaTrafficSink sink = new KafkaTrafficSink(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    registry, "predictions", "labels")) {
                TrafficRunner.run(new Traffic(config), List.of(sink), 1.0, stopping::get);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                out.println("generator stopped: " + e);
                out.flush();
            }
        }, "demo-generator");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** A number, or "-" when the series does not exist yet (a fresh window, no labels so far). */
    private static String format(double value, String pattern) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, pattern, value);
    }

    /** Prints a progress line every few seconds until the duration is over or the stop signal comes. */
    private static void progress(LossMonitorService service, Options options, CountDownLatch stop, PrintWriter out)
            throws InterruptedException {
        long end = options.duration() == null ? Long.MAX_VALUE : System.nanoTime() + options.duration().toNanos();
        double lastPredictions = 0;
        long lastTime = System.nanoTime();
        while (System.nanoTime() < end) {
            long wait = Math.min(options.progressEvery().toNanos(), Math.max(1, end - System.nanoTime()));
            if (stop.await(wait, TimeUnit.NANOSECONDS)) {
                return;
            }
            List<Sample> m = PrometheusText.parse(service.scrape());
            double predictions = PrometheusText.sum(m, "lossmon_predictions_total", Map.of())
                    + PrometheusText.sum(m, "lossmon_pending_predictions", Map.of());
            long now = System.nanoTime();
            double rate = (predictions - lastPredictions) / ((now - lastTime) / 1e9);
            lastPredictions = predictions;
            lastTime = now;
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "%s  %5.0f ev/s  joined %6.0f  pending %5.0f  expired %4.0f  dead letters %3.0f |",
                    LocalTime.now().format(CLOCK), rate,
                    PrometheusText.sum(m, "lossmon_labels_total", Map.of("outcome", "joined")),
                    PrometheusText.sum(m, "lossmon_pending_predictions", Map.of()),
                    PrometheusText.sum(m, "lossmon_predictions_total", Map.of("outcome", "expired")),
                    PrometheusText.sum(m, "lossmon_dead_letters_total", Map.of())));
            for (String model : MODELS) {
                Map<String, String> key = Map.of("model", model, "class", "all", "window", "1m");
                line.append("  ").append(model).append(" 1m loss ")
                        .append(format(PrometheusText.find(m, "lossmon_window_loss_mean", key), "%.3f"))
                        .append(" NE ").append(format(PrometheusText.find(m, "lossmon_window_normalized_entropy", key), "%.2f"));
            }
            out.println(line);
            out.flush();
        }
    }
}
