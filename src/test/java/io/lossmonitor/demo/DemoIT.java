package io.lossmonitor.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lossmonitor.fixtures.PrometheusApi;
import io.lossmonitor.fixtures.PrometheusServer;
import io.lossmonitor.metrics.PrometheusText;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as a user runs it: {@code java -jar target/loss-monitor.jar demo --duration ... --prometheus}. With
 * Prometheus installed (CI installs Debian's package) the demo's Prometheus must scrape it with the project's alert
 * rules loaded and evaluate them on the demo's metrics; without, the demo says it did not start one and runs on.
 */
class DemoIT {

    private static final Pattern PROMETHEUS_URL = Pattern.compile("prometheus (http://127\\.0\\.0\\.1:\\d+)/alerts");

    @TempDir
    Path dir;

    /** The last lines of a file, for a failure message. */
    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())) + "\n";
        } catch (java.io.IOException e) {
            return "(" + file + ": " + e + ")\n";
        }
    }

    @Test
    void theDemoServesMetricsThenStopsEverything() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path out = dir.resolve("demo.out");
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-jar", Path.of("target", "loss-monitor.jar").toString(), "demo",
                "--duration", "180s", "--http-port", Integer.toString(port), "--rate", "100",
                "--prometheus", "--prometheus-binary", PrometheusServer.BINARY.toString())
                .redirectOutput(out.toFile()).redirectError(dir.resolve("demo.err").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
        boolean withPrometheus = Files.isExecutable(PrometheusServer.BINARY);
        Set<String> alerts = alertNames(Path.of("grafana", "prometheus", "alerts.yml"));
        AtomicReference<PrometheusApi> prometheus = new AtomicReference<>();
        await("the demo scores events").atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions().untilAsserted(() -> {
                    assertThat(demo.isAlive()).as(() -> "the demo runs; it ended with:\n" + tail(out)
                            + tail(dir.resolve("demo.err"))).isTrue();
                    if (withPrometheus) {
                        if (prometheus.get() == null) {
                            Matcher m = PROMETHEUS_URL.matcher(Files.readString(out));
                            assertThat(m.find()).as("the demo prints its Prometheus URL").isTrue();
                            prometheus.set(new PrometheusApi(m.group(1)));
                        }
                        PrometheusApi api = prometheus.get();
                        assertThat(api.alertNames()).isEqualTo(alerts);
                        assertThat(api.targetHealth()).containsEntry("http://127.0.0.1:" + port + "/metrics", "up");
                        assertThat(api.query("sum(lossmon_labels_total{outcome=\"joined\"})").values())
                                .singleElement().satisfies(joined -> assertThat(joined).isPositive());
                        // The generator sends a few invalid records on purpose: the project's rule sees them.
                        assertThat(api.alerts()).anySatisfy(alert -> {
                            assertThat(alert.name()).isEqualTo("LossMonDeadLetters");
                            assertThat(alert.state()).isIn("pending", "firing");
                        });
                    }
                    var samples = PrometheusText.parse(http.send(HttpRequest.newBuilder(metrics).build(),
                            HttpResponse.BodyHandlers.ofString()).body());
                    for (String model : List.of("fraud", "ranker", "tagger")) {
                        assertThat(PrometheusText.sum(samples, "lossmon_labels_total", Map.of("model", model, "outcome", "joined")))
                                .as("joined labels of %s", model).isPositive();
                        assertThat(PrometheusText.find(samples, "lossmon_window_loss_mean",
                                Map.of("model", model, "class", "all", "window", "1m"))).as(model).isPositive();
                    }
                });
        assertThat(demo.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(demo.exitValue()).isZero();
        String printed = Files.readString(out);
        assertThat(printed).contains("metrics    http://localhost:" + port + "/metrics", "ev/s", "joined", "ranker 1m loss",
                "demo stopped; nothing left running.");
        if (!withPrometheus) {
            assertThat(printed).contains("prometheus not started: " + PrometheusServer.BINARY);
        }
        // Nothing it started is left: no broker, registry, Prometheus or temporary directory.
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("loss-monitor-demo-")).toList()).isEmpty();
        try (var temp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temp.filter(p -> p.getFileName().toString().startsWith("loss-monitor-demo-")).toList()).isEmpty();
        }
    }

    /** The alert names of a rule file, read as text so that the check does not share the code it checks. */
    private static Set<String> alertNames(Path rules) throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\S+)\\s*$").matcher(Files.readString(rules));
        while (m.find()) {
            names.add(m.group(1));
        }
        assertThat(names).as("alerts in " + rules).isNotEmpty();
        return names;
    }
}
