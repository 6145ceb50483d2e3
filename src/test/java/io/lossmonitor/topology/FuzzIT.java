package io.lossmonitor.topology;

import io.lossmonitor.fixtures.Directories;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Topics;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Thousands of records on a real broker, good ones interleaved with fourteen kinds of bad ones: every bad record
 * lands in the dead-letter topic, as produced, with the reason for its kind and its source position; every good
 * one is scored exactly as the loss CLI scores it; the counts reconcile; the streams client never leaves RUNNING.
 */
class FuzzIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    private static final int CLASSES = 4;

    /** Each kind of bad record and the reason its dead letter must carry. */
    enum Bad {
        RANDOM_BYTES("UNDESERIALIZABLE"), WRONG_MAGIC("UNDESERIALIZABLE"), UNKNOWN_SCHEMA_ID("UNDESERIALIZABLE"),
        TRUNCATED("UNDESERIALIZABLE"), FOREIGN_SCHEMA("UNDESERIALIZABLE"), NULL_VALUE("NULL_VALUE"),
        NAN_SCORE("NON_FINITE_SCORE"), INFINITE_SCORE("NON_FINITE_SCORE"), WRONG_LENGTH("SHAPE_MISMATCH"),
        OVERSIZED("TOO_MANY_SCORES"), FUTURE_TIMESTAMP("TIMESTAMP_OUT_OF_RANGE"), PAST_TIMESTAMP("TIMESTAMP_OUT_OF_RANGE"),
        NEGATIVE_WEIGHT("INVALID_WEIGHT"), LABEL_OUT_OF_RANGE("TARGET_OUT_OF_RANGE");

        final String reason;

        Bad(String reason) {
            this.reason = reason;
        }

        boolean label() {
            return this == NEGATIVE_WEIGHT || this == LABEL_OUT_OF_RANGE;
        }
    }

    private static Prediction prediction(String id, long time, double... scores) {
        return Prediction.newBuilder().setPredictionId(id).setModelId("fuzz").setModelVersion("v1")
                .setTimestamp(Instant.ofEpochMilli(time)).setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS)
                .setScores(Arrays.stream(scores).boxed().toList()).build();
    }

    private static Label label(String id, long time, int target) {
        return Label.newBuilder().setPredictionId(id).setModelId("fuzz").setTimestamp(Instant.ofEpochMilli(time))
                .setTarget(target).build();
    }

    @Test
    void badRecordsAreDeadLetteredAndGoodOnesScoredExactly() throws Exception {
        TopologyConfig config = TopologyConfig.defaults().withModelSpecs(Map.of("fuzz",
                ModelSpec.newBuilder().setModelId("fuzz").setNumClasses(CLASSES).build()));
        config = new TopologyConfig(config.predictionsTopic(), config.labelsTopic(), config.modelsTopic(),
                config.scoredEventsTopic(), config.lateLabelsTopic(), config.deadLetterTopic(), config.maxLabelDelay(),
                config.earlyLabelTtl(), config.maxClockSkew(), config.punctuateInterval(), 64, 0, config.modelSpecs(),
                config.windowSizes(), config.predictionGrace(), config.lossWindowsTopic(), config.maxPending(),
                config.windowFlushInterval(), config.inputRouting(), config.recentPredictionsBytes());
        KAFKA.createTopics(2, config.predictionsTopic(), config.labelsTopic());
        KAFKA.createTopics(1, config.modelsTopic(), config.scoredEventsTopic(), config.lateLabelsTopic(),
                config.deadLetterTopic(), config.lossWindowsTopic());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        Properties props = SingleBrokerSettings.of("fuzz-it", KAFKA, config, Directories.scratch("lossmon-fuzz"));
        Set<KafkaStreams.State> seen = ConcurrentHashMap.newKeySet();
        try (KafkaStreams streams = new KafkaStreams(LossTopology.build(config, new TopologySerdes(registry)), props)) {
            streams.setStateListener((now, before) -> seen.add(now));
            streams.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> streams.state() == KafkaStreams.State.RUNNING);

            SplittableRandom random = new SplittableRandom(1234);
            AvroSerializer<Prediction> predictions = new AvroSerializer<>(registry, false);
            AvroSerializer<Label> labels = new AvroSerializer<>(registry, false);
            Schema foreign = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Other\",\"namespace\":\"x\","
                    + "\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
            GenericRecord other = new GenericData.Record(foreign);
            other.put("x", 7);
            byte[] foreignBytes = new AvroSerializer<GenericRecord>(registry, false).serialize("foreign-topic", other);
            Map<String, Integer> expectedReasons = new HashMap<>();
            List<double[]> goodRows = new ArrayList<>();
            List<Integer> goodTargets = new ArrayList<>();
            long predictionRecords = 0;
            long labelRecords = 0;
            Bad[] kinds = Bad.values();
            try (KafkaProducer<byte[], byte[]> producer = KAFKA.bytesProducer()) {
                for (int i = 0; i < 3000; i++) {
                    long time = T0 + i * 10L;
                    String id = "p" + i;
                    if (i % 3 != 0) {
                        double[] row = new double[CLASSES];
                        for (int c = 0; c < CLASSES; c++) {
                            row[c] = random.nextDouble(-4, 4);
                        }
                        int target = random.nextInt(CLASSES);
                        send(producer, config.predictionsTopic(), id, predictions.serialize(config.predictionsTopic(),
                                prediction(id, time, row)), time);
                        send(producer, config.labelsTopic(), id, labels.serialize(config.labelsTopic(),
                                label(id, time + 1000, target)), time + 1000);
                        predictionRecords++;
                        labelRecords++;
                        goodRows.add(row);
                        goodTargets.add(target);
                        continue;
                    }
                    Bad kind = kinds[(i / 3) % kinds.length];
                    expectedReasons.merge(kind.reason, 1, Integer::sum);
                    byte[] good = predictions.serialize(config.predictionsTopic(), prediction(id, time, 1, 2, 3, 4));
                    byte[] value = switch (kind) {
                        case RANDOM_BYTES -> {
                            byte[] b = new byte[1 + random.nextInt(40)];
                            random.nextBytes(b);
                            b[0] = (byte) (1 + random.nextInt(200));
                            yield b;
                        }
                        case WRONG_MAGIC -> {
                            byte[] b = good.clone();
                            b[0] = 9;
                            yield b;
                        }
                        case UNKNOWN_SCHEMA_ID -> {
                            byte[] b = good.clone();
                            b[1] = 0x7e;
                            yield b;
                        }
                        case TRUNCATED -> Arrays.copyOf(good, good.length - 1 - random.nextInt(8));
                        case FOREIGN_SCHEMA -> foreignBytes;
                        case NULL_VALUE -> null;
                        case NAN_SCORE -> predictions.serialize(config.predictionsTopic(), prediction(id, time, 1, Double.NaN, 3, 4));
                        case INFINITE_SCORE -> predictions.serialize(config.predictionsTopic(),
                                prediction(id, time, 1, 2, Double.POSITIVE_INFINITY, 4));
                        case WRONG_LENGTH -> predictions.serialize(config.predictionsTopic(), prediction(id, time, 1, 2, 3));
                        case OVERSIZED -> predictions.serialize(config.predictionsTopic(), prediction(id, time, new double[65]));
                        case FUTURE_TIMESTAMP -> predictions.serialize(config.predictionsTopic(),
                                prediction(id, time + Duration.ofDays(30).toMillis(), 1, 2, 3, 4));
                        case PAST_TIMESTAMP -> predictions.serialize(config.predictionsTopic(), prediction(id, 12_345L, 1, 2, 3, 4));
                        case NEGATIVE_WEIGHT -> labels.serialize(config.labelsTopic(),
                                Label.newBuilder(label(id, time + 1000, 1)).setWeight(-2.0).build());
                        case LABEL_OUT_OF_RANGE -> labels.serialize(config.labelsTopic(), label(id, time + 1000, CLASSES + 3));
                    };
                    if (kind.label()) {
                        // The label's prediction is valid: it stays pending, waiting for a label that fits.
                        send(producer, config.predictionsTopic(), id, good, time);
                        predictionRecords++;
                        send(producer, config.labelsTopic(), kind == Bad.NULL_VALUE ? null : id.getBytes(StandardCharsets.UTF_8),
                                value, time + 1000);
                        labelRecords++;
                    } else {
                        send(producer, config.predictionsTopic(), kind == Bad.NULL_VALUE ? null : id.getBytes(StandardCharsets.UTF_8),
                                value, time);
                        predictionRecords++;
                    }
                }
            }
            long predictionsIn = predictionRecords;
            long labelsIn = labelRecords;
            await("every record accounted for").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        Map<String, Long> a = accounting(streams);
                        assertThat(sum(a, Accounting.PREDICTIONS, Set.of(Accounting.SCORED, Accounting.EXPIRED,
                                Accounting.PENDING, Accounting.INVALID, Accounting.DUPLICATE))).isEqualTo(predictionsIn);
                        assertThat(sum(a, Accounting.LABELS, Set.of(Accounting.JOINED, Accounting.CORRECTED,
                                Accounting.EARLY_PENDING, Accounting.LATE, Accounting.INVALID, Accounting.DUPLICATE))).isEqualTo(labelsIn);
                    });
            Map<String, Long> a = accounting(streams);
            assertThat(sum(a, Accounting.PREDICTIONS, Set.of(Accounting.SCORED))).isEqualTo(goodRows.size());
            int badCount = expectedReasons.values().stream().mapToInt(Integer::intValue).sum();
            assertThat(badCount).isGreaterThan(900);

            // Every dead letter: the reason of its kind, and where it came from.
            var dead = Topics.read(KAFKA, config.deadLetterTopic(), new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    badCount);
            assertThat(dead).hasSize(badCount);
            Map<String, Integer> reasons = new HashMap<>();
            for (var r : dead) {
                reasons.merge(DeadLetters.get(r.headers(), Names.HEADER_REASON), 1, Integer::sum);
                assertThat(DeadLetters.get(r.headers(), Names.HEADER_SOURCE_TOPIC)).isIn(config.predictionsTopic(),
                        config.labelsTopic());
                assertThat(DeadLetters.get(r.headers(), Names.HEADER_SOURCE_OFFSET)).isNotNull();
                assertThat(DeadLetters.get(r.headers(), Names.HEADER_DETAIL)).isNotBlank();
            }
            assertThat(reasons).isEqualTo(expectedReasons);

            // Every good record scored exactly as the loss CLI scores the batch.
            List<ScoredEvent> scored = Topics.read(KAFKA, config.scoredEventsTopic(),
                    new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class)), goodRows.size())
                    .stream().map(r -> r.value()).toList();
            double num = 0;
            double den = 0;
            for (ScoredEvent e : scored) {
                num += e.getNumerator();
                den += e.getDenominator();
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode batch = json.createObjectNode().put("loss", "cross_entropy").put("reduction", "mean");
            ArrayNode input = batch.putArray("input");
            ArrayNode target = batch.putArray("target");
            for (int i = 0; i < goodRows.size(); i++) {
                ArrayNode row = input.addArray();
                Arrays.stream(goodRows.get(i)).forEach(row::add);
                target.add(goodTargets.get(i));
            }
            double expected = LossCase.evaluate(batch).doubleValue();
            assertThat(num / den).isCloseTo(expected, within(1e-12 * expected));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(seen).doesNotContainAnyElementsOf(EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR));
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value, long time)
            throws Exception {
        send(producer, topic, key.getBytes(StandardCharsets.UTF_8), value, time);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] key, byte[] value, long time)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, null, time, key, value));
    }

    private static Map<String, Long> accounting(KafkaStreams streams) {
        Map<String, Long> totals = new HashMap<>();
        for (String name : List.of(Names.INTAKE_ACCOUNTING_STORE, Names.JOIN_ACCOUNTING_STORE)) {
            var store = streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Long>keyValueStore()));
            try (var it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<String, Long> e = it.next();
                    totals.merge(e.key, e.value, Long::sum);
                }
            }
        }
        return totals;
    }

    private static long sum(Map<String, Long> accounting, String stream, Set<String> outcomes) {
        long total = 0;
        for (Map.Entry<String, Long> e : accounting.entrySet()) {
            String[] k = Accounting.parse(e.getKey());
            if (k[0].equals(stream) && outcomes.contains(k[2])) {
                total += e.getValue();
            }
        }
        return total;
    }
}
