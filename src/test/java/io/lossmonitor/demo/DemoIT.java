package io.lossmonitor.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a user runs it: {@code java -jar target/loss-monitor.jar demo --duration ...}. */
class DemoIT {

    @TempDir
    Path dir;

    @Test
    void theDemoServesMetricsThenStopsEverything() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path out = dir.resolve("demo.out");
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-jar", Path.of("target", "loss-monitor.jar").toString(), "demo",
                "--duration", "100s", "--http-port", Integer.toString(port), "--rate", "100")
                .redirectOutput(out.toFile()).redirectError(dir.resolve("demo.err").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
        await("the demo scores events").atMost(Duration.ofSeconds(95)).pollInterval(Duration.ofSeconds(2))
                .ignoreExceptions().untilAsserted(() -> {
                    assertThat(demo.isAlive()).isTrue();
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
        // Nothing it started is left: no broker, registry or temporary directory.
        assertThat(ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("loss-monitor-demo-")).toList()).isEmpty();
        try (var temp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(temp.filter(p -> p.getFileName().toString().startsWith("loss-monitor-demo-")).toList()).isEmpty();
        }
    }
}
