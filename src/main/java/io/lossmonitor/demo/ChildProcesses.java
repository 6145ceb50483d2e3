package io.lossmonitor.demo;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * The demo's embedded default: a real single-node KRaft broker and the real schema registry the tests use
 * (Apicurio, Confluent-compatible API), each a child JVM on free localhost ports, with all their files in one
 * temporary directory. {@link #close()} stops them (SIGTERM, then kill) and deletes that directory.
 */
final class ChildProcesses implements AutoCloseable {

    private final Path target;
    private final Path work;
    private final List<Process> processes = new ArrayList<>();
    private final String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    ChildProcesses(Path target) throws IOException {
        this.target = target;
        this.work = Files.createTempDirectory("loss-monitor-demo-");
    }

    Path work() {
        return work;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Formats and starts a combined broker/controller; returns its bootstrap address once it answers. */
    String startKafka() throws Exception {
        Path lib = target.resolve("kafka-broker");
        Path jar = target.resolve("loss-monitor.jar");
        require(lib, "the broker's jars");
        int broker = freePort();
        int controller = freePort();
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + broker + ",CONTROLLER://127.0.0.1:" + controller);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + broker);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("controller.quorum.bootstrap.servers", "127.0.0.1:" + controller);
        p.setProperty("log.dirs", work.resolve("kafka-data").toString());
        for (String k : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr")) {
            p.setProperty(k, "1");
        }
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("num.partitions", "3");
        Path config = work.resolve("server.properties");
        try (var out = Files.newBufferedWriter(config)) {
            p.store(out, "loss-monitor demo broker");
        }
        String classpath = jar + java.io.File.pathSeparator + lib.resolve("*");
        Process format = new ProcessBuilder(javaBinary, "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone",
                "-t", Uuid.randomUuid().toString(), "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("kafka-format.log").toFile()).start();
        if (!format.waitFor(2, TimeUnit.MINUTES) || format.exitValue() != 0) {
            throw new IllegalStateException("formatting the broker's storage failed; see " + work.resolve("kafka-format.log"));
        }
        start("kafka", javaBinary, "-Xmx512m", "-cp", classpath, "kafka.Kafka", config.toString());
        String bootstrap = "127.0.0.1:" + broker;
        waitFor("Kafka", Duration.ofMinutes(2), () -> {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000))) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        return bootstrap;
    }

    /** Starts the registry; returns its Confluent-compatible API URL once it is ready. */
    String startRegistry() throws Exception {
        Path home = target.resolve("apicurio-registry");
        require(home.resolve("quarkus-run.jar"), "the schema registry");
        int port = freePort();
        int management = freePort();
        ProcessBuilder builder = new ProcessBuilder(javaBinary, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + management,
                "-Dquarkus.http.access-log.enabled=false", "-Dapicurio.rules.global.compatibility=BACKWARD",
                "-Dapicurio.datasource.url=jdbc:h2:file:" + work.resolve("registry").toAbsolutePath(),
                "-jar", "quarkus-run.jar").directory(home.toFile());
        start("registry", builder);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + management + "/health/ready");
        waitFor("the schema registry", Duration.ofMinutes(2), () -> {
            try {
                return http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    /** Starts Prometheus scraping the demo with the project's alert rules; returns its URL. */
    String startPrometheus(Path binary, int servicePort, Path rules) throws Exception {
        int port = freePort();
        Path config = Files.writeString(work.resolve("prometheus.yml"), "global:\n  scrape_interval: 5s\n"
                + "  evaluation_interval: 5s\nrule_files:\n  - " + rules.toAbsolutePath() + "\nscrape_configs:\n"
                + "  - job_name: loss-monitor\n    static_configs:\n      - targets: ['127.0.0.1:" + servicePort + "']\n");
        start("prometheus", binary.toString(), "--config.file=" + config, "--storage.tsdb.path=" + work.resolve("prometheus"),
                "--web.listen-address=127.0.0.1:" + port);
        return "http://127.0.0.1:" + port;
    }

    private void start(String name, String... command) throws IOException {
        start(name, new ProcessBuilder(command));
    }

    private void start(String name, ProcessBuilder builder) throws IOException {
        processes.add(builder.redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile()).start());
    }

    private void waitFor(String what, Duration limit, BooleanSupplier ready) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!ready.getAsBoolean()) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(what + " exited early; its log is in " + work);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " was not ready after " + limit + "; logs in " + work);
            }
            Thread.sleep(250);
        }
    }

    private static void require(Path path, String what) {
        if (!Files.exists(path)) {
            throw new IllegalStateException(what + " is not at " + path + ": build first with ./mvnw -B -DskipTests package,"
                    + " or give --bootstrap-servers and --schema-registry-url");
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
        try (Stream<Path> files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is harmless.
        }
    }
}
