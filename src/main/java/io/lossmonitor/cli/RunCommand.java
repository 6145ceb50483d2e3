package io.lossmonitor.cli;

import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.service.LossMonitorService;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code run}: the long-lived service. */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Runs loss-monitor: joins predictions with labels, scores them, keeps windows, serves /metrics,"
                + " /health/live, /health/ready and /api/v1 over HTTP.",
            "",
            "Settings, each source overriding the one before: built-in defaults < the --config file < environment"
                + " variables < these flags. In the file: lossmonitor.<setting>, lossmonitor.model.<id>.<field>,"
                + " kafka.<Kafka client property>, registry.<schema registry property>. In the environment:"
                + " LOSSMONITOR_<SETTING> (dots and dashes as underscores), LOSSMONITOR_REGISTRY_<PROPERTY>,"
                + " KAFKA_<PROPERTY> (e.g. KAFKA_SECURITY_PROTOCOL)."},
        footer = {"", "SIGTERM or Ctrl-C stops it cleanly (exit status 0)."})
final class RunCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (Java properties).")
    private Path config;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers.")
    private String bootstrapServers;

    @Option(names = "--schema-registry-url", description = "Schema registry URL(s).")
    private String registryUrl;

    @Option(names = "--http-port", description = "HTTP port (default 8080).")
    private Integer httpPort;

    @Option(names = "--state-dir", description = "Kafka Streams state directory.")
    private String stateDir;

    @Option(names = "--application-id", description = "Kafka Streams application.id.")
    private String applicationId;

    @Option(names = "--application-server", description = "host:port other instances reach this one at.")
    private String applicationServer;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any setting by its file key (repeatable),"
            + " e.g. --set lossmonitor.max-label-delay=2d --set kafka.security.protocol=SSL.")
    private Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = new LinkedHashMap<>(settings);
        flag(flags, AppSetting.BOOTSTRAP_SERVERS, bootstrapServers);
        flag(flags, AppSetting.SCHEMA_REGISTRY_URL, registryUrl);
        flag(flags, AppSetting.HTTP_PORT, httpPort == null ? null : httpPort.toString());
        flag(flags, AppSetting.STATE_DIR, stateDir);
        flag(flags, AppSetting.APPLICATION_ID, applicationId);
        flag(flags, AppSetting.APPLICATION_SERVER, applicationServer);
        LossMonitorService service = null;
        try {
            service = new LossMonitorService(ServiceConfig.load(config, System.getenv(), flags), version());
            service.start();
        } catch (ConfigException e) {
            close(service);
            spec.commandLine().getErr().println("loss-monitor: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            // E.g. Kafka refusing the credentials: say what failed at the root, stop what started, exit non-zero.
            close(service);
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            spec.commandLine().getErr().println("loss-monitor: cannot start: " + root);
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Handling the signals (instead of relying on shutdown hooks) lets a SIGTERM end in exit status 0.
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        Runtime.getRuntime().addShutdownHook(new Thread(service::close, "loss-monitor-shutdown"));
        stop.await();
        service.close();
        return 0;
    }

    private static void close(LossMonitorService service) {
        if (service != null) {
            service.close();
        }
    }

    private static void flag(Map<String, String> flags, AppSetting setting, String value) {
        if (value != null) {
            flags.put(setting.key(), value);
        }
    }

    private static String version() {
        String v = RunCommand.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
