package io.lossmonitor.topology;

import io.lossmonitor.fixtures.Directories;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.NewerProducer;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real registry goes away mid-stream (its process is stopped, then started again with its data): records
 * whose schema the application already knows keep flowing; a record needing a schema it has never fetched is set
 * aside and counted instead of being dead-lettered, and is scored once the registry is back. Nothing is lost.
 */
class RegistryOutageIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    private static Prediction prediction(String id, long time) {
        return Prediction.newBuilder().setPredictionId(id).setModelId("m").setModelVersion("v1")
                .setTimestamp(Instant.ofEpochMilli(time)).setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS)
                .setScores(List.of(1.0, 2.0, 0.5)).build();
    }

    private static Label label(String id, long time) {
        return Label.newBuilder().setPredictionId(id).setModelId("m").setTimestamp(Instant.ofEpochMilli(time))
                .setTarget(1).build();
    }

    @Test
    void knownSchemasKeepFlowingAndUnknownOnesWaitForTheRegistry() throws Exception {
        TopologyConfig config = TopologyConfig.defaults();
        KAFKA.createTopics(1, config.predictionsTopic(), config.labelsTopic(), config.modelsTopic(),
                config.scoredEventsTopic(), config.lateLabelsTopic(), config.deadLetterTopic(), config.lossWindowsTopic());
        Map<String, Object> clientConfig = Map.of(RegistryConfig.URL, REGISTRY.url(), RegistryConfig.MAX_RETRIES, 1,
                RegistryConfig.RETRIES_WAIT_MS, 100, RegistryConfig.REQUEST_TIMEOUT_MS, 2000);
        RegistryClient appRegistry = new RegistryClient(RegistryConfig.from(clientConfig));
        RegistryClient producerRegistry = new RegistryClient(RegistryConfig.from(clientConfig));
        Properties props = SingleBrokerSettings.of("outage-it", KAFKA, config, Directories.scratch("lossmon-outage"));
        Set<KafkaStreams.State> seen = ConcurrentHashMap.newKeySet();
        AvroSerializer<Prediction> predictions = new AvroSerializer<>(producerRegistry, false);
        AvroSerializer<Label> labels = new AvroSerializer<>(producerRegistry, false);
        AvroSerializer<GenericRecord> newer = new AvroSerializer<>(producerRegistry, false);
        TopologySerdes serdes = new TopologySerdes(appRegistry);
        // As the service does at start-up: afterwards an outage cannot hold up the output.
        serdes.resolveOutputSchemas(config);
        try (KafkaStreams streams = new KafkaStreams(LossTopology.build(config, serdes), props);
             KafkaProducer<byte[], byte[]> producer = KAFKA.bytesProducer()) {
            streams.setStateListener((now, before) -> seen.add(now));
            streams.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> streams.state() == KafkaStreams.State.RUNNING);
            // Before the outage: the application learns the Prediction and Label schemas.
            for (int i = 0; i < 10; i++) {
                send(producer, config.predictionsTopic(), predictions.serialize(config.predictionsTopic(), prediction("a" + i, T0 + i)), T0 + i);
                send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("a" + i, T0 + 100 + i)), T0 + 100 + i);
            }
            await("first batch scored").atMost(Duration.ofMinutes(2)).until(() -> count(streams, Accounting.SCORED) == 10);
            // Serialized while the registry is up (the producer registers the newer schema); the application has
            // never seen its id.
            byte[] unknownToTheApp = newer.serialize(config.predictionsTopic(),
                    NewerProducer.upgrade(prediction("f0", T0 + 500), "r-1"));

            REGISTRY.stop();
            try {
                for (int i = 0; i < 10; i++) {
                    send(producer, config.predictionsTopic(), predictions.serialize(config.predictionsTopic(), prediction("b" + i, T0 + 200 + i)), T0 + 200 + i);
                    send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("b" + i, T0 + 300 + i)), T0 + 300 + i);
                }
                await("cached schemas keep flowing").atMost(Duration.ofMinutes(2))
                        .until(() -> count(streams, Accounting.SCORED) == 20);
                send(producer, config.predictionsTopic(), unknownToTheApp, T0 + 500);
                send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("f0", T0 + 600)), T0 + 600);
                await("the record with the unknown schema is set aside").atMost(Duration.ofMinutes(2))
                        .until(() -> count(streams, Accounting.AWAITING_SCHEMA) == 1);
                // And the stream goes on around it.
                send(producer, config.predictionsTopic(), predictions.serialize(config.predictionsTopic(), prediction("c0", T0 + 700)), T0 + 700);
                send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("c0", T0 + 800)), T0 + 800);
                await("known schemas flow around the waiting record").atMost(Duration.ofMinutes(2))
                        .until(() -> count(streams, Accounting.SCORED) == 21);
                assertThat(count(streams, Accounting.AWAITING_SCHEMA)).isEqualTo(1);
                assertThat(io.lossmonitor.fixtures.Topics.readAll(KAFKA, config.deadLetterTopic(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())).isEmpty();
            } finally {
                REGISTRY.start();
            }
            await("the waiting record is scored once the registry is back").atMost(Duration.ofMinutes(3))
                    .until(() -> count(streams, Accounting.SCORED) == 22 && count(streams, Accounting.AWAITING_SCHEMA) == 0);
            assertThat(count(streams, Accounting.INVALID)).isZero();
            assertThat(io.lossmonitor.fixtures.Topics.readAll(KAFKA, config.deadLetterTopic(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())).isEmpty();
            assertThat(seen).doesNotContainAnyElementsOf(EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] value, long time) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, time, null, value)).get();
    }

    /** A prediction outcome summed over both accounting stores (invalid: dead-lettered predictions). */
    private static long count(KafkaStreams streams, String outcome) {
        Map<String, Long> totals = new HashMap<>();
        try {
            for (String name : List.of(Names.INTAKE_ACCOUNTING_STORE, Names.JOIN_ACCOUNTING_STORE)) {
                var store = streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Long>keyValueStore()));
                try (var it = store.all()) {
                    it.forEachRemaining(e -> totals.merge(e.key, e.value, Long::sum));
                }
            }
        } catch (RuntimeException e) {
            return -1;
        }
        return totals.entrySet().stream().filter(e -> {
            String[] k = Accounting.parse(e.getKey());
            return k[0].equals(Accounting.PREDICTIONS) && k[2].equals(outcome);
        }).mapToLong(Map.Entry::getValue).sum();
    }
}
