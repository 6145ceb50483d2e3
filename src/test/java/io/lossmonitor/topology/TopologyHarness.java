package io.lossmonitor.topology;

import io.lossmonitor.fixtures.Directories;
import io.lossmonitor.fixtures.NewerProducer;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The topology in a {@link TopologyTestDriver} with the real serdes (and so a real registry), plus helpers to
 * pipe predictions and labels with explicit event and arrival times.
 */
final class TopologyHarness implements AutoCloseable {

    static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    final TopologyConfig config;
    final TopologyTestDriver driver;
    final RegistryClient registry;
    private final TestInputTopic<byte[], byte[]> predictions;
    private final TestInputTopic<byte[], byte[]> labels;
    private final TestInputTopic<String, ModelSpec> models;
    private final TestOutputTopic<String, ScoredEvent> scored;
    private final TestOutputTopic<byte[], byte[]> late;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final AvroSerializer<Prediction> predictionSerializer;
    private final AvroSerializer<Label> labelSerializer;

    TopologyHarness(TopologyConfig config) throws Exception {
        this(config, SharedRegistry.get().url());
    }

    /** The application reads the registry at {@code appRegistryUrl}; the test's own producers use the shared one. */
    TopologyHarness(TopologyConfig config, String appRegistryUrl) throws Exception {
        // Topic names unique per harness: each registers its own subjects on the shared registry.
        String suffix = "-" + UUID.randomUUID().toString().substring(0, 8);
        this.config = config.withTopics("predictions" + suffix, "labels" + suffix, "models" + suffix,
                "scored-events" + suffix, "late-labels" + suffix, "dead-letters" + suffix, "loss-windows" + suffix);
        this.registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, SharedRegistry.get().url())));
        RegistryClient appRegistry = appRegistryUrl.equals(SharedRegistry.get().url()) ? registry
                : new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, appRegistryUrl,
                        RegistryConfig.MAX_RETRIES, 0, RegistryConfig.RETRIES_WAIT_MS, 10)));
        TopologySerdes serdes = new TopologySerdes(appRegistry);
        // As the service does at start-up: a later registry outage cannot stop the output.
        serdes.resolveOutputSchemas(this.config);
        Topology topology = LossTopology.build(this.config, serdes);
        Properties props = StreamsSettings.defaults("join-test", "unused:9092", this.config);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Directories.scratch("lossmon-ttd").toString());
        driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(T0));
        predictions = driver.createInputTopic(this.config.predictionsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        labels = driver.createInputTopic(this.config.labelsTopic(), new ByteArraySerializer(), new ByteArraySerializer());
        models = driver.createInputTopic(this.config.modelsTopic(), new StringSerializer(),
                new AvroSerializer<ModelSpec>(registry, false));
        scored = driver.createOutputTopic(this.config.scoredEventsTopic(), new StringDeserializer(),
                new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class)));
        late = driver.createOutputTopic(this.config.lateLabelsTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(this.config.deadLetterTopic(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        predictionSerializer = new AvroSerializer<>(registry, false);
        labelSerializer = new AvroSerializer<>(registry, false);
    }

    static Prediction prediction(String model, String version, String id, long time, Task task, OutputKind output,
                                 double... scores) {
        return Prediction.newBuilder().setPredictionId(id).setModelId(model).setModelVersion(version)
                .setTimestamp(Instant.ofEpochMilli(time)).setTask(task).setOutput(output)
                .setScores(java.util.Arrays.stream(scores).boxed().toList()).build();
    }

    static Label label(String model, String id, long time, Object target) {
        return Label.newBuilder().setPredictionId(id).setModelId(model).setTimestamp(Instant.ofEpochMilli(time))
                .setTarget(target).build();
    }

    /** Pipes a prediction that reaches Kafka at {@code arrival}. */
    void pipe(Prediction p, long arrival) {
        predictions.pipeInput(new TestRecord<>(p.getPredictionId().getBytes(),
                predictionSerializer.serialize(config.predictionsTopic(), p), null, Instant.ofEpochMilli(arrival)));
    }

    /** Pipes a prediction arriving at its own event time. */
    void pipe(Prediction p) {
        pipe(p, p.getTimestamp().toEpochMilli());
    }

    void pipe(Label l, long arrival) {
        labels.pipeInput(new TestRecord<>(l.getPredictionId().getBytes(),
                labelSerializer.serialize(config.labelsTopic(), l), null, Instant.ofEpochMilli(arrival)));
    }

    void pipe(Label l) {
        pipe(l, l.getTimestamp().toEpochMilli());
    }

    void pipeRawPrediction(byte[] value, long arrival) {
        pipeRawPrediction(value, null, arrival);
    }

    void pipeRawPrediction(byte[] value, Headers headers, long arrival) {
        predictions.pipeInput(new TestRecord<>("raw".getBytes(), value, headers, Instant.ofEpochMilli(arrival)));
    }

    void pipeRawLabel(byte[] value, long arrival) {
        labels.pipeInput(new TestRecord<>("raw".getBytes(), value, null, Instant.ofEpochMilli(arrival)));
    }

    byte[] serialize(Prediction p) {
        return predictionSerializer.serialize(config.predictionsTopic(), p);
    }

    /** {@code p} as a newer producer writes it: a compatible schema with its own id (see {@link NewerProducer}). */
    byte[] serializeNewer(Prediction p) {
        return new AvroSerializer<org.apache.avro.generic.GenericRecord>(registry, false)
                .serialize(config.predictionsTopic(), NewerProducer.upgrade(p, "r-" + p.getPredictionId()));
    }

    byte[] serialize(Label l) {
        return labelSerializer.serialize(config.labelsTopic(), l);
    }

    void pipe(ModelSpec spec) {
        pipe(spec.getModelId(), spec);
    }

    /** Pipes {@code spec} under the key {@code model}, whichever model it names. */
    void pipe(String model, ModelSpec spec) {
        models.pipeInput(model, spec, Instant.ofEpochMilli(T0));
    }

    /** Pipes {@code value} as {@code model}'s record on the models topic, whatever it holds. */
    void pipeRawSpec(String model, byte[] value) {
        driver.createInputTopic(config.modelsTopic(), new StringSerializer(), new ByteArraySerializer())
                .pipeInput(model, value, Instant.ofEpochMilli(T0));
    }

    List<ScoredEvent> scored() {
        return scored.readValuesToList();
    }

    List<TestRecord<byte[], byte[]>> late() {
        return late.readRecordsToList();
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    static String header(Headers headers, String key) {
        return DeadLetters.get(headers, key);
    }

    /**
     * Lets the wall clock run one window flush interval: the join tasks send their pre-aggregated partials on, so
     * the window stores, the totals and the loss-windows topic include everything piped so far.
     */
    void flushWindows() {
        driver.advanceWallClockTime(config.windowFlushInterval());
    }

    /** The accounting summed over every task's stores: (stream, model, outcome) -> count. */
    Map<String, Long> accounting() {
        Map<String, Long> totals = new HashMap<>();
        for (String store : List.of(Names.INTAKE_ACCOUNTING_STORE, Names.JOIN_ACCOUNTING_STORE)) {
            KeyValueStore<String, Long> kv = driver.getKeyValueStore(store);
            try (var it = kv.all()) {
                while (it.hasNext()) {
                    KeyValue<String, Long> e = it.next();
                    totals.merge(e.key, e.value, Long::sum);
                }
            }
        }
        return totals;
    }

    long count(String stream, String model, String outcome) {
        return accounting().getOrDefault(Accounting.key(stream, model, outcome), 0L);
    }

    @Override
    public void close() {
        driver.close();
    }
}
