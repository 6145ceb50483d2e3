package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.Directories;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Specs on the {@code models} topic, read by Kafka Streams' global thread, on a real broker: a record there that is
 * not a readable spec (not Avro, or a spec the service rejects) must not stop the service. The global thread only
 * keeps bytes; a spec is read where a prediction or label of its model is, so what cannot be read turns into that
 * record's dead letter with the reason, while other models' specs apply as usual, and a corrected spec applies to
 * the events after it.
 */
class ModelSpecsIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    private static Prediction prediction(String model, String id, long time) {
        return Prediction.newBuilder().setPredictionId(id).setModelId(model).setModelVersion("v1")
                .setTimestamp(Instant.ofEpochMilli(time)).setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS)
                .setScores(List.of(1.0, 2.0, 0.5)).build();
    }

    private static Label label(String model, String id, long time) {
        return Label.newBuilder().setPredictionId(id).setModelId(model).setTimestamp(Instant.ofEpochMilli(time))
                .setTarget(1).build();
    }

    private static ModelSpec weighted(String model) {
        return ModelSpec.newBuilder().setModelId(model).setNumClasses(3).setClassWeights(List.of(1.0, 3.0, 1.0)).build();
    }

    @Test
    void aSpecThatCannotBeReadDeadLettersItsModelsEventsAndTheServiceKeepsRunning() throws Exception {
        TopologyConfig config = TopologyConfig.defaults();
        KAFKA.createTopics(1, config.predictionsTopic(), config.labelsTopic(), config.modelsTopic(),
                config.scoredEventsTopic(), config.lateLabelsTopic(), config.deadLetterTopic(), config.lossWindowsTopic());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        Properties props = SingleBrokerSettings.of("model-specs-it", KAFKA, config, Directories.scratch("lossmon-model-specs"));
        AvroSerializer<Prediction> predictions = new AvroSerializer<>(registry, false);
        AvroSerializer<Label> labels = new AvroSerializer<>(registry, false);
        AvroSerializer<ModelSpec> specs = new AvroSerializer<>(registry, false);
        Set<KafkaStreams.State> seen = ConcurrentHashMap.newKeySet();
        TopologySerdes serdes = new TopologySerdes(registry);
        serdes.resolveOutputSchemas(config);
        AvroDeserializer<ScoredEvent> scoredReader = new AvroDeserializer<>(registry,
                AvroDeserializer.specificReader(ScoredEvent.class));
        try (KafkaStreams streams = new KafkaStreams(LossTopology.build(config, serdes), props);
             KafkaProducer<byte[], byte[]> producer = KAFKA.bytesProducer()) {
            streams.setStateListener((now, before) -> seen.add(now));
            streams.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> streams.state() == KafkaStreams.State.RUNNING);

            // 'broken': bytes that are not a spec; 'invalid': a readable spec the service rejects (a negative
            // class weight); 'weighted': a good spec, published after both.
            send(producer, config.modelsTopic(), "broken", "not an Avro record".getBytes(StandardCharsets.UTF_8), T0);
            send(producer, config.modelsTopic(), "invalid", specs.serialize(config.modelsTopic(),
                    ModelSpec.newBuilder(weighted("invalid")).setClassWeights(List.of(1.0, -1.0, 1.0)).build()), T0);
            send(producer, config.modelsTopic(), "weighted", specs.serialize(config.modelsTopic(), weighted("weighted")), T0);
            // The global thread reads the topic on its own: the events go out once it holds all three.
            await("the specs are in the global store").atMost(Duration.ofMinutes(2))
                    .until(() -> List.of("broken", "invalid", "weighted").stream().allMatch(m -> spec(streams, m) != null));
            for (String model : List.of("broken", "invalid", "weighted")) {
                send(producer, config.predictionsTopic(), model + "-1",
                        predictions.serialize(config.predictionsTopic(), prediction(model, model + "-1", T0 + 1000)), T0 + 1000);
                send(producer, config.labelsTopic(), model + "-1",
                        labels.serialize(config.labelsTopic(), label(model, model + "-1", T0 + 2000)), T0 + 2000);
            }
            // The good spec was read: its class weight (3 for the target, class 1) is the event's denominator.
            ScoredEvent scored = Topics.read(KAFKA, config.scoredEventsTopic(), scoredReader, 1).get(0).value();
            assertThat(scored.getModelId()).isEqualTo("weighted");
            assertThat(scored.getDenominator()).isEqualTo(3.0);
            double perEvent = Math.log(Math.exp(1.0) + Math.exp(2.0) + Math.exp(0.5)) - 2.0;
            assertThat(scored.getNumerator()).isCloseTo(3.0 * perEvent, within(1e-12));

            // The other two models' predictions are dead letters, each saying why; their labels wait for them.
            List<ConsumerRecord<String, byte[]>> dead = Topics.read(KAFKA, config.deadLetterTopic(),
                    new ByteArrayDeserializer(), 2);
            assertThat(dead).extracting(r -> DeadLetters.get(r.headers(), Names.HEADER_MODEL))
                    .containsExactlyInAnyOrder("broken", "invalid");
            assertThat(dead).extracting(r -> DeadLetters.get(r.headers(), Names.HEADER_REASON))
                    .containsOnly(InvalidEventException.INVALID_SPEC);
            ConsumerRecord<String, byte[]> broken = dead.stream()
                    .filter(r -> "broken".equals(DeadLetters.get(r.headers(), Names.HEADER_MODEL))).findFirst().orElseThrow();
            assertThat(DeadLetters.get(broken.headers(), Names.HEADER_DETAIL))
                    .contains("models topic").contains("broken");

            // The broken spec corrected: the model's next events are scored under it.
            byte[] corrected = specs.serialize(config.modelsTopic(), weighted("broken"));
            send(producer, config.modelsTopic(), "broken", corrected, T0);
            await("the corrected spec is in the global store").atMost(Duration.ofMinutes(2))
                    .until(() -> java.util.Arrays.equals(spec(streams, "broken"), corrected));
            send(producer, config.predictionsTopic(), "broken-2",
                    predictions.serialize(config.predictionsTopic(), prediction("broken", "broken-2", T0 + 3000)), T0 + 3000);
            send(producer, config.labelsTopic(), "broken-2",
                    labels.serialize(config.labelsTopic(), label("broken", "broken-2", T0 + 4000)), T0 + 4000);
            List<ConsumerRecord<String, ScoredEvent>> all = Topics.read(KAFKA, config.scoredEventsTopic(), scoredReader, 2);
            assertThat(all).extracting(r -> r.value().getModelId()).containsExactly("weighted", "broken");
            assertThat(all.get(1).value().getDenominator()).isEqualTo(3.0);
            assertThat(seen).doesNotContainAnyElementsOf(EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
            // Leaving the group, so that the restarted instance need not wait out this one's session.
            streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofMinutes(1)));
        }

        // A restart reads the whole topic again, the record that is not a spec included: the instance starts, and
        // the specs apply as before.
        seen.clear();
        try (KafkaStreams restarted = new KafkaStreams(LossTopology.build(config, serdes), props);
             KafkaProducer<byte[], byte[]> producer = KAFKA.bytesProducer()) {
            restarted.setStateListener((now, before) -> seen.add(now));
            restarted.start();
            await("restarted").atMost(Duration.ofMinutes(2)).until(() -> restarted.state() == KafkaStreams.State.RUNNING);
            send(producer, config.predictionsTopic(), "weighted-2",
                    predictions.serialize(config.predictionsTopic(), prediction("weighted", "weighted-2", T0 + 5000)), T0 + 5000);
            send(producer, config.labelsTopic(), "weighted-2",
                    labels.serialize(config.labelsTopic(), label("weighted", "weighted-2", T0 + 6000)), T0 + 6000);
            List<ConsumerRecord<String, ScoredEvent>> all = Topics.read(KAFKA, config.scoredEventsTopic(), scoredReader, 3);
            assertThat(all.get(2).value().getPredictionId()).isEqualTo("weighted-2");
            assertThat(all.get(2).value().getDenominator()).isEqualTo(3.0);
            assertThat(seen).doesNotContainAnyElementsOf(EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR));
        }
    }

    /** The raw spec of {@code model} in the global store, or null (also while the store cannot be queried). */
    private static byte[] spec(KafkaStreams streams, String model) {
        try {
            ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                    Names.MODEL_SPECS_STORE, QueryableStoreTypes.keyValueStore()));
            return store.get(model);
        } catch (InvalidStateStoreException e) {
            return null;
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value, long time)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, null, time, key.getBytes(StandardCharsets.UTF_8), value)).get();
    }
}
