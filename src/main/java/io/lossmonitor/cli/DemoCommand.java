package io.lossmonitor.cli;

import io.lossmonitor.config.Durations;
import io.lossmonitor.demo.Demo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code demo}: see loss-monitor work, with nothing installed but a JDK. */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Starts a real Kafka broker (KRaft) and a real schema registry (Apicurio, Confluent API) as child"
                + " processes, the topics, loss-monitor, and a generator with three models (binary, 10-class,"
                + " 5-label) whose labels arrive with a delay; after --drift-after the 10-class model drifts."
                + " Prints where to look and a progress line every few seconds. Ctrl-C (or --duration) stops"
                + " everything it started and deletes its temporary files.",
            "",
            "Needs the build's target/ (./mvnw -B -DskipTests package), unless --bootstrap-servers and"
                + " --schema-registry-url point at existing servers."})
final class DemoCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--duration", description = "Stop by itself after this long (e.g. 10m); default: until Ctrl-C.")
    private String duration;

    @Option(names = "--http-port", defaultValue = "8080", description = "Port of /metrics and /api (default ${DEFAULT-VALUE}).")
    private int httpPort;

    @Option(names = "--bootstrap-servers", description = "Use this Kafka instead of starting one.")
    private String bootstrapServers;

    @Option(names = "--schema-registry-url", description = "Use this schema registry instead of starting one.")
    private String registryUrl;

    @Option(names = "--prometheus", description = "Also start Prometheus (if installed) with the project's alert rules.")
    private boolean prometheus;

    @Option(names = "--prometheus-binary", defaultValue = "/usr/bin/prometheus", description = "Default ${DEFAULT-VALUE}.")
    private Path prometheusBinary;

    @Option(names = "--rate", defaultValue = "50", description = "Predictions per second (default ${DEFAULT-VALUE}).")
    private double rate;

    @Option(names = "--drift-after", defaultValue = "2m", description = "When the drift starts (default ${DEFAULT-VALUE}).")
    private String driftAfter;

    @Override
    public Integer call() throws Exception {
        Duration limit;
        Duration drift;
        try {
            limit = duration == null ? null : Durations.parse(duration);
            drift = Durations.parse(driftAfter);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path target = jar.getParent();
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        try {
            Demo.run(new Demo.Options(limit, httpPort, bootstrapServers, registryUrl,
                    prometheus ? prometheusBinary : null, rate, drift, Duration.ofSeconds(5)), target, stop,
                    spec.commandLine().getOut());
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("demo: " + e.getMessage());
            return 1;
        }
        return 0;
    }
}
