package io.lossmonitor.topology;

import io.lossmonitor.fixtures.Directories;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Preload;
import io.lossmonitor.fixtures.Topics;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ScoreKind;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RoundRobinPartitioner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The join on a real broker and registry: two input partitions, two application instances, generated traffic with
 * delays, early labels, duplicates, corrections and invalid records. At the end every record is accounted for, and
 * each model's mean over the scored events, and every window of every key (model, class) in the stores and on the
 * loss-windows topic, equals the loss CLI's batch mean over the same events.
 */
class JoinIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private final List<KafkaStreams> instances = new ArrayList<>();

    @AfterEach
    void stopInstances() {
        instances.forEach(s -> s.close(Duration.ofSeconds(30)));
    }

    private KafkaStreams start(String applicationId, TopologyConfig config, RegistryClient registry) throws Exception {
        Properties props = SingleBrokerSettings.of(applicationId, KAFKA, config, Directories.scratch("lossmon-join-it"));
        KafkaStreams streams = new KafkaStreams(LossTopology.build(config, new TopologySerdes(registry)), props);
        instances.add(streams);
        streams.start();
        return streams;
    }

    private static io.lossmonitor.schema.ModelSpec spec(String model, int classes) {
        return io.lossmonitor.schema.ModelSpec.newBuilder().setModelId(model).setNumClasses(classes).build();
    }

    private Map<String, Long> accounting() {
        Map<String, Long> totals = new HashMap<>();
        for (KafkaStreams streams : instances) {
            for (String name : List.of(Names.INTAKE_ACCOUNTING_STORE, Names.JOIN_ACCOUNTING_STORE)) {
                ReadOnlyKeyValueStore<String, Long> store = streams.store(
                        StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
                try (var it = store.all()) {
                    while (it.hasNext()) {
                        KeyValue<String, Long> e = it.next();
                        totals.merge(e.key, e.value, Long::sum);
                    }
                }
            }
        }
        return totals;
    }

    private static long total(Map<String, Long> accounting, String stream, String... outcomes) {
        long sum = 0;
        for (Map.Entry<String, Long> e : accounting.entrySet()) {
            String[] parts = Accounting.parse(e.getKey());
            if (parts[0].equals(stream) && List.of(outcomes).contains(parts[2])) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    /**
     * Run twice: every record repartitioned, with producers that key by prediction id; and LOCAL_FIRST routing with
     * producers that ignore the keys (round robin), so that about half the records are in their prediction id's
     * partition and joined there and the others cross the join-input topic, a prediction and its label often on
     * different paths.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"repartition, false", "local-first, true"})
    void everyRecordIsAccountedForAndEveryMeanMatchesTheLossCli(String run, boolean localFirst) throws Exception {
        // The models' class counts are declared, as in production: a prediction of the wrong length is invalid
        // only against a spec (without one, its own length defines the classes).
        String suffix = "-" + run;
        TopologyConfig config = TopologyConfig.defaults().withModelSpecs(Map.of(
                "fraud", spec("fraud", 1), "ranker", spec("ranker", 10), "tagger", spec("tagger", 5),
                "softmax", spec("softmax", 4))).withTopics("predictions" + suffix, "labels" + suffix, "models" + suffix,
                "scored-events" + suffix, "late-labels" + suffix, "dead-letters" + suffix, "loss-windows" + suffix)
                .withInputRouting(localFirst ? InputRouting.localFirst(2) : InputRouting.repartition());
        KAFKA.createTopics(2, config.predictionsTopic(), config.labelsTopic());
        KAFKA.createTopics(1, config.modelsTopic(), config.scoredEventsTopic(), config.lateLabelsTopic(),
                config.deadLetterTopic(), config.lossWindowsTopic());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        String applicationId = "join-it" + suffix;
        KafkaStreams first = start(applicationId, config, registry);
        KafkaStreams second = start(applicationId, config, registry);
        await("both instances RUNNING").atMost(Duration.ofMinutes(2)).until(() ->
                first.state() == KafkaStreams.State.RUNNING && second.state() == KafkaStreams.State.RUNNING);

        TrafficConfig traffic = new TrafficConfig(42, List.of(ModelProfile.parse("fraud:binary:logits"),
                ModelProfile.parse("ranker:multiclass:logits:10"), ModelProfile.parse("tagger:multilabel:probabilities:5"),
                ModelProfile.parse("softmax:multiclass:probabilities:4")),
                2000, 200, TopologyHarness.T0, Duration.ofSeconds(20), 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, null);
        Preload.Loaded loaded = Preload.load(KAFKA, registry, config.predictionsTopic(), config.labelsTopic(), traffic,
                config.maxLabelDelay(), localFirst ? Map.of(ProducerConfig.PARTITIONER_CLASS_CONFIG,
                        RoundRobinPartitioner.class.getName()) : Map.of());
        long predictionsIn = loaded.predictions();
        long labelsIn = loaded.labels();
        await("every record accounted for").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    Map<String, Long> a = accounting();
                    assertThat(total(a, Accounting.PREDICTIONS, Accounting.SCORED, Accounting.EXPIRED, Accounting.PENDING,
                            Accounting.INVALID, Accounting.DUPLICATE)).isEqualTo(predictionsIn);
                    assertThat(total(a, Accounting.LABELS, Accounting.JOINED, Accounting.CORRECTED,
                            Accounting.EARLY_PENDING, Accounting.LATE, Accounting.INVALID, Accounting.DUPLICATE))
                            .isEqualTo(labelsIn);
                });
        if (localFirst) {
            // Both paths were taken: some records crossed the join-input topic, and not all of them did (under
            // exactly-once its end offsets also count transaction markers, at most one per partition and commit).
            long joinInput = endOffsetSum(applicationId + "-" + Names.JOIN_INPUT + "-repartition");
            assertThat(joinInput).isPositive().isLessThan(predictionsIn + labelsIn);
        }
        Map<String, Long> a = accounting();
        long scored = total(a, Accounting.PREDICTIONS, Accounting.SCORED);
        long corrected = total(a, Accounting.LABELS, Accounting.CORRECTED);
        assertThat(total(a, Accounting.LABELS, Accounting.JOINED)).isEqualTo(scored);
        assertThat(corrected).isPositive();
        assertThat(total(a, Accounting.PREDICTIONS, Accounting.DUPLICATE)).isPositive();
        assertThat(total(a, Accounting.LABELS, Accounting.EARLY)).isPositive();

        // Scored events: one SCORE per joined label, a RETRACTION and a SCORE per correction.
        List<ScoredEvent> events = Topics.read(KAFKA, config.scoredEventsTopic(),
                new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class)),
                (int) (scored + 2 * corrected)).stream().map(r -> r.value()).toList();
        Map<String, double[]> sums = new HashMap<>();
        for (ScoredEvent e : events) {
            double sign = e.getKind() == ScoreKind.SCORE ? 1 : -1;
            double[] s = sums.computeIfAbsent(e.getModelId() + "@" + e.getModelVersion(), k -> new double[3]);
            s[0] += sign * e.getNumerator();
            s[1] += sign * e.getDenominator();
            s[2] += sign;
        }
        // Dead letters and late labels: exactly what the accounting says.
        long invalid = total(a, Accounting.PREDICTIONS, Accounting.INVALID) + total(a, Accounting.LABELS, Accounting.INVALID);
        assertThat(Topics.readRaw(KAFKA, config.deadLetterTopic(), (int) invalid)).hasSize((int) invalid);

        // The loss CLI's batch means per model and per class over the same joined events; the traffic spans ten
        // seconds from a minute boundary, so each key's 1-minute, 1-hour and 1-day windows hold all of its events.
        Map<String, LossWindow> lastOnTopic = new HashMap<>();
        Topics.read(KAFKA, config.lossWindowsTopic(), new AvroDeserializer<>(registry,
                AvroDeserializer.specificReader(LossWindow.class)), 1).forEach(r -> lastOnTopic.put(r.key(), r.value()));
        ObjectMapper json = new ObjectMapper();
        int compared = 0;
        for (String line : loaded.cases().split("\n")) {
            JsonNode c = json.readTree(line);
            String id = c.get("id").asText().replace("#vector", "");
            double expectedMean = LossCase.evaluate(c).doubleValue();
            String[] modelVersionClass = id.split("[@/]");
            WindowKey key = new WindowKey(modelVersionClass[0], modelVersionClass[1],
                    modelVersionClass.length == 3 ? modelVersionClass[2] : null);
            if (key.isAll()) {
                double[] s = sums.get(id);
                assertThat(s).as("scored events for %s", id).isNotNull();
                assertThat((long) s[2]).as("events of %s", id).isEqualTo(c.get("events").asLong());
                assertThat(s[0] / s[1]).as("scored-events mean of %s", id)
                        .isCloseTo(expectedMean, within(1e-12 * Math.abs(expectedMean)));
            }
            for (Duration size : config.windowSizes()) {
                WindowAggregate stored = windowFromStores(Names.lossWindowStore(size), key);
                assertThat(stored).as("%s window of %s", size, id).isNotNull();
                assertThat(stored.events()).as("%s events of %s", size, id).isEqualTo(c.get("events").asLong());
                assertThat(stored.mean()).as("%s store mean of %s", size, id)
                        .isCloseTo(expectedMean, within(1e-12 * Math.abs(expectedMean)));
            }
            compared++;
        }
        assertThat(compared).isGreaterThan(4 + 10);
        // The topic's newest record of each window agrees with the stores (compaction keeps it).
        await("window updates on the topic").atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            Topics.readAll(KAFKA, config.lossWindowsTopic(), new AvroDeserializer<>(registry,
                    AvroDeserializer.specificReader(LossWindow.class))).forEach(r -> lastOnTopic.put(r.key(), r.value()));
            for (Map.Entry<String, LossWindow> e : lastOnTopic.entrySet()) {
                LossWindow w = e.getValue();
                WindowKey key = new WindowKey(w.getModelId(), w.getModelVersion(), w.getClassName());
                WindowAggregate stored = windowFromStores(Names.lossWindowStore(Duration.ofMillis(w.getWindowSizeMs())), key);
                assertThat(w.getEventCount()).as(e.getKey()).isEqualTo(stored.events());
                assertThat(w.getNumerator() + w.getNumeratorLow()).as(e.getKey()).isEqualTo(stored.numerator().value());
            }
        });
        assertThat(lastOnTopic).hasSizeGreaterThanOrEqualTo(3 * compared);
    }

    private static long endOffsetSum(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            assertThat(partitions).as("partitions of %s", topic).hasSize(2);
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private WindowAggregate windowFromStores(String store, WindowKey key) {
        for (KafkaStreams streams : instances) {
            ReadOnlyWindowStore<String, ValueAndTimestamp<WindowAggregate>> windows = streams.store(
                    StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.timestampedWindowStore()));
            ValueAndTimestamp<WindowAggregate> v = windows.fetch(key.encode(), TopologyHarness.T0);
            if (v != null) {
                return v.value();
            }
        }
        return null;
    }
}
