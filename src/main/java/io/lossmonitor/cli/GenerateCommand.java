package io.lossmonitor.cli;

import io.lossmonitor.config.Durations;
import io.lossmonitor.generator.CasesTrafficSink;
import io.lossmonitor.generator.JsonLinesTrafficSink;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.generator.TrafficRunner;
import io.lossmonitor.generator.TrafficSink;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code generate}: realistic, deterministic predictions and delayed labels, to Kafka and/or files. */
@Command(name = "generate",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        description = {
            "Generates predictions of several models and their delayed labels, deterministically for a seed, and"
                + " writes them to Kafka (Avro, Confluent wire format, through the schema registry), to a JSON Lines"
                + " event log, and/or as loss-CLI cases holding the mean the service should report per model.",
            "",
            "Faults on request: labels that never arrive, labels that arrive before their prediction, duplicated"
                + " predictions and labels, corrected labels, invalid records, and a drift in one model from a given"
                + " time on."},
        footer = {
            "",
            "Examples:",
            "  java -jar target/loss-monitor.jar generate --count 100000 --bootstrap-servers localhost:9092 \\",
            "      --schema-registry-url http://localhost:8081 --drift ranker@10m",
            "  java -jar target/loss-monitor.jar generate --count 1000 --start 2026-01-01T00:00:00Z \\",
            "      --jsonl events.jsonl --cases cases.jsonl",
            "  java -jar target/loss-monitor.jar loss --input cases.jsonl"})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--models", paramLabel = "LIST", defaultValue = ModelProfile.DEMO,
            description = "Comma-separated id[@version]:task:output[:classes]; default: ${DEFAULT-VALUE}")
    private String models;

    @Option(names = "--count", defaultValue = "10000", description = "Predictions in all (default ${DEFAULT-VALUE}).")
    private long count;

    @Option(names = "--rate", defaultValue = "100", description = "Predictions per second of event time (default ${DEFAULT-VALUE}).")
    private double rate;

    @Option(names = "--speed", defaultValue = "0", description = "Publish at this multiple of real time; 0 (default)"
            + " publishes as fast as possible.")
    private double speed;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--start", paramLabel = "INSTANT", description = "Event time of the first prediction, ISO-8601"
            + " (default: now). Give it for byte-identical output.")
    private String start;

    @Option(names = "--label-delay-mean", defaultValue = "30s", description = "Mean of the exponential label delay"
            + " (default ${DEFAULT-VALUE}).")
    private String labelDelayMean;

    @Option(names = "--unlabelled", defaultValue = "0.05", description = "Fraction never labelled (default ${DEFAULT-VALUE}).")
    private double unlabelled;

    @Option(names = "--early-labels", defaultValue = "0.02", description = "Fraction of labels reaching Kafka before their"
            + " prediction (default ${DEFAULT-VALUE}).")
    private double earlyLabels;

    @Option(names = "--duplicate-predictions", defaultValue = "0.01", description = "Default ${DEFAULT-VALUE}.")
    private double duplicatePredictions;

    @Option(names = "--duplicate-labels", defaultValue = "0.01", description = "Default ${DEFAULT-VALUE}.")
    private double duplicateLabels;

    @Option(names = "--corrections", defaultValue = "0.01", description = "Fraction of labels later corrected"
            + " (default ${DEFAULT-VALUE}).")
    private double corrections;

    @Option(names = "--invalid", defaultValue = "0", description = "Fraction of invalid predictions or labels"
            + " (default ${DEFAULT-VALUE}).")
    private double invalid;

    @Option(names = "--drift", paramLabel = "MODEL@OFFSET[:KIND]", description = "Inject a drift into MODEL from OFFSET"
            + " after the start, e.g. ranker@2m or ranker@1h:class-balance (kinds: miscalibration, class-balance).")
    private String drift;

    @Option(names = "--max-label-delay", defaultValue = "7d", description = "For --cases: labels later than this after"
            + " their prediction are not joined (default ${DEFAULT-VALUE}).")
    private String maxLabelDelay;

    @Option(names = "--bootstrap-servers", description = "Kafka to publish to.")
    private String bootstrapServers;

    @Option(names = "--schema-registry-url", description = "Schema registry (Confluent API) for --bootstrap-servers.")
    private String registryUrl;

    @Option(names = "--predictions-topic", defaultValue = "predictions", description = "Default ${DEFAULT-VALUE}.")
    private String predictionsTopic;

    @Option(names = "--labels-topic", defaultValue = "labels", description = "Default ${DEFAULT-VALUE}.")
    private String labelsTopic;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE", description = "Kafka producer setting (repeatable),"
            + " e.g. security.protocol=SASL_SSL.")
    private Map<String, String> producerProperties = new LinkedHashMap<>();

    @Option(names = "--registry-property", paramLabel = "KEY=VALUE", description = "Schema registry client setting"
            + " (repeatable), e.g. basic.auth.credentials.source=USER_INFO.")
    private Map<String, String> registryProperties = new LinkedHashMap<>();

    @Option(names = "--jsonl", paramLabel = "FILE", description = "Write the event log here.")
    private Path jsonl;

    @Option(names = "--cases", paramLabel = "FILE", description = "Write loss-CLI cases (the expected means) here.")
    private Path cases;

    @Override
    public Integer call() throws Exception {
        TrafficConfig config = config();
        List<TrafficSink> sinks = sinks();
        if (sinks.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give an output: --bootstrap-servers with"
                    + " --schema-registry-url, --jsonl and/or --cases");
        }
        Map<String, Long> counts;
        try {
            counts = TrafficRunner.run(new Traffic(config), sinks, speed, () -> false);
        } finally {
            for (TrafficSink sink : sinks) {
                sink.close();
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("generate: " + counts);
        err.flush();
        return 0;
    }

    private TrafficConfig config() {
        List<ModelProfile> profiles = new ArrayList<>();
        try {
            for (String m : models.split(",")) {
                profiles.add(ModelProfile.parse(m));
            }
            long startMs = start == null ? System.currentTimeMillis() : Instant.parse(start).toEpochMilli();
            return new TrafficConfig(seed, profiles, count, rate, startMs, Durations.parse(labelDelayMean), unlabelled,
                    earlyLabels, duplicatePredictions, duplicateLabels, corrections, invalid, drift(startMs));
        } catch (RuntimeException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, null);
        }
    }

    private TrafficConfig.Drift drift(long startMs) {
        if (drift == null) {
            return null;
        }
        String[] modelRest = drift.split("@", 2);
        if (modelRest.length != 2) {
            throw new IllegalArgumentException("--drift is MODEL@OFFSET[:KIND], got '" + drift + "'");
        }
        String[] offsetKind = modelRest[1].split(":", 2);
        TrafficConfig.Drift.Kind kind = offsetKind.length == 2
                ? TrafficConfig.Drift.Kind.valueOf(offsetKind[1].toUpperCase(Locale.ROOT).replace('-', '_'))
                : TrafficConfig.Drift.Kind.MISCALIBRATION;
        Duration offset = Durations.parse(offsetKind[0]);
        return new TrafficConfig.Drift(modelRest[0], startMs + offset.toMillis(), kind);
    }

    private List<TrafficSink> sinks() throws IOException {
        List<TrafficSink> sinks = new ArrayList<>();
        if (bootstrapServers != null || registryUrl != null) {
            if (bootstrapServers == null || registryUrl == null) {
                throw new ParameterException(spec.commandLine(), "publishing to Kafka needs both --bootstrap-servers and"
                        + " --schema-registry-url");
            }
            Map<String, Object> registry = new HashMap<>(registryProperties);
            registry.put(RegistryConfig.URL, registryUrl);
            Map<String, Object> producer = new HashMap<>(producerProperties);
            producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            sinks.add(new KafkaTrafficSink(producer, new RegistryClient(RegistryConfig.from(registry)),
                    predictionsTopic, labelsTopic));
        }
        if (jsonl != null) {
            sinks.add(new JsonLinesTrafficSink(Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)));
        }
        if (cases != null) {
            sinks.add(new CasesTrafficSink(Files.newBufferedWriter(cases, StandardCharsets.UTF_8),
                    Durations.parse(maxLabelDelay)));
        }
        return sinks;
    }
}
