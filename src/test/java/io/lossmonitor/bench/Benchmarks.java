package io.lossmonitor.bench;

import io.lossmonitor.fixtures.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Locale;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks (all of them, or those matching the JMH options given, e.g. {@code DecodeBenchmark} or
 * {@code -p classes=100}) and prints a table of ns per operation and per element (element = class score).
 */
public final class Benchmarks {

    private Benchmarks() {
    }

    /**
     * The Kafka Streams and client properties given for experiments as {@code -Dbench.streams.<property>=<value>}
     * (in {@code JAVA_TOOL_OPTIONS}): the end-to-end and latency benchmarks apply them to every run.
     */
    static java.util.Map<String, String> streamsOverrides() {
        return propertiesUnder("bench.streams.");
    }

    /**
     * The properties of the variant the end-to-end benchmark compares with the baseline when any are given, as
     * {@code -Dbench.variant.<property>=<value>}.
     */
    static java.util.Map<String, String> variantOverrides() {
        return propertiesUnder("bench.variant.");
    }

    private static java.util.Map<String, String> propertiesUnder(String prefix) {
        java.util.Map<String, String> overrides = new java.util.TreeMap<>();
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(prefix))
                .forEach(k -> overrides.put(k.substring(prefix.length()), System.getProperty(k)));
        return overrides;
    }

    /**
     * The benchmarks' broker. Its logs go to a RAM disk when the machine has one ({@code /dev/shm}; another directory
     * with {@code -Dbench.broker.dir=DIR}, the system's temporary directory with {@code -Dbench.broker.dir=}): in
     * production the broker runs on machines of its own, but here it shares the two cores with the application, and
     * on the VM's disk the kernel's write-back of its gigabytes of logs (and the broker's writes stalled behind it)
     * took CPU and time from whichever application ran meanwhile, and the more so the more that application wrote.
     */
    static EmbeddedKafka broker() {
        String dir = System.getProperty("bench.broker.dir", Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : "");
        EmbeddedKafka kafka = new EmbeddedKafka();
        return dir.isEmpty() ? kafka : kafka.withLogsUnder(Path.of(dir));
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            options.include(LossCoreBenchmark.class.getSimpleName());
            options.include(DecodeBenchmark.class.getSimpleName());
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-52s %6s %12s %12s %10s%n", "benchmark", "C", "ns/op", "ns/element", "error");
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            int c = Integer.parseInt(result.getParams().getParam("classes"));
            double perOp = result.getPrimaryResult().getScore();
            double error = result.getPrimaryResult().getScoreError();
            System.out.printf(Locale.ROOT, "%-52s %6d %12.2f %12.3f %9.2f%%%n", name.substring(name.lastIndexOf("bench.") + 6),
                    c, perOp, perOp / c, 100 * error / perOp);
        }
    }
}
