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
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The largest events the default limits accept, on a real broker with Kafka's default message size limit (1 MB):
 * 10,000 scores ({@code max-scores}) with a dense target of 10,000 values, a multi-label model whose spec names every
 * class (the class names near their 256 KiB budget) and whose prediction carries segments up to the input size
 * limit. Every record derived from them (the stored prediction with its label and score, the scored event with an
 * entry per class, the join input, window partials) must fit, or its transaction fails and the stream thread stops.
 * A larger input is dead-lettered as RECORD_TOO_LARGE before anything is derived from it.
 */
class LargeEventsIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final int C = 10_000;
    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    private static List<Double> logits() {
        List<Double> x = new ArrayList<>(C);
        for (int i = 0; i < C; i++) {
            x.add(3 * Math.sin(0.7 * i + 0.3));
        }
        return x;
    }

    private static Prediction prediction(String model, Task task, List<Double> scores, int segmentBytes) {
        return Prediction.newBuilder().setPredictionId(model + "-1").setModelId(model).setModelVersion("v1")
                .setTimestamp(Instant.ofEpochMilli(T0)).setTask(task).setOutput(OutputKind.LOGITS).setScores(scores)
                .setSegments(segmentBytes == 0 ? Map.of() : Map.of("note", "s".repeat(segmentBytes))).build();
    }

    private static Label label(String model, Object target) {
        return Label.newBuilder().setPredictionId(model + "-1").setModelId(model)
                .setTimestamp(Instant.ofEpochMilli(T0 + 1000)).setTarget(target).build();
    }

    @Test
    void theLargestAcceptedEventsAreScoredAndALargerInputIsDeadLettered() throws Exception {
        List<String> names = new ArrayList<>(C);
        for (int i = 0; i < C; i++) {
            names.add(String.format("class-%05d-a-longer-name", i)); // 25 bytes each: 250,000 in all
        }
        TopologyConfig config = TopologyConfig.defaults().withModelSpecs(Map.of(
                "tagger", ModelSpec.newBuilder().setModelId("tagger").setClassNames(names).build()));
        assertThat(config.maxScores()).isEqualTo(C);
        KAFKA.createTopics(1, config.predictionsTopic(), config.labelsTopic(), config.modelsTopic(),
                config.scoredEventsTopic(), config.lateLabelsTopic(), config.deadLetterTopic(), config.lossWindowsTopic());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        TopologySerdes serdes = new TopologySerdes(registry);
        serdes.resolveOutputSchemas(config);
        AvroSerializer<Prediction> predictions = new AvroSerializer<>(registry, false);
        AvroSerializer<Label> labels = new AvroSerializer<>(registry, false);

        List<Double> x = logits();
        List<Double> multiHot = new ArrayList<>(C);
        List<Double> uniform = new ArrayList<>(C);
        for (int i = 0; i < C; i++) {
            multiHot.add(i % 3 == 0 ? 1.0 : 0.0);
            uniform.add(1.0 / C);
        }
        // Segments fill the tagger's prediction to within 2 KB of the input limit; 'huge' is over it.
        int room = (int) config.maxInputBytes() - predictions.serialize(config.predictionsTopic(),
                prediction("tagger", Task.MULTILABEL, x, 0)).length;
        byte[] tagger = predictions.serialize(config.predictionsTopic(), prediction("tagger", Task.MULTILABEL, x, room - 2048));
        byte[] huge = predictions.serialize(config.predictionsTopic(), prediction("huge", Task.MULTILABEL, x, room + 2048));
        List<Double> tooMany = new ArrayList<>(x);
        tooMany.add(0.0);

        Set<KafkaStreams.State> seen = ConcurrentHashMap.newKeySet();
        try (KafkaStreams streams = new KafkaStreams(LossTopology.build(config, serdes), SingleBrokerSettings.of(
                "large-events-it", KAFKA, config, Directories.scratch("lossmon-large")));
             KafkaProducer<byte[], byte[]> producer = KAFKA.bytesProducer()) {
            streams.setStateListener((now, before) -> seen.add(now));
            streams.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> streams.state() == KafkaStreams.State.RUNNING);
            send(producer, config.predictionsTopic(), tagger);
            send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("tagger", multiHot)));
            send(producer, config.predictionsTopic(), predictions.serialize(config.predictionsTopic(),
                    prediction("softmax", Task.MULTICLASS, x, 0)));
            send(producer, config.labelsTopic(), labels.serialize(config.labelsTopic(), label("softmax", uniform)));
            send(producer, config.predictionsTopic(), huge);
            send(producer, config.predictionsTopic(), predictions.serialize(config.predictionsTopic(),
                    prediction("many", Task.MULTILABEL, tooMany, 0)));

            Map<String, ScoredEvent> scored = Topics.read(KAFKA, config.scoredEventsTopic(),
                    new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class)), 2).stream()
                    .map(ConsumerRecord::value).collect(Collectors.toMap(e -> e.getModelId().toString(), e -> e));
            assertThat(scored).containsOnlyKeys("tagger", "softmax");
            // By hand: BCE with logits, mean over the elements, max(x, 0) - x t + log(1 + e^-|x|).
            double bce = 0;
            for (int i = 0; i < C; i++) {
                bce += Math.max(x.get(i), 0) - x.get(i) * multiHot.get(i) + Math.log1p(Math.exp(-Math.abs(x.get(i))));
            }
            assertThat(scored.get("tagger").getLoss()).isCloseTo(bce / C, within(1e-12));
            assertThat(scored.get("tagger").getClasses()).hasSize(C);
            assertThat(scored.get("tagger").getClasses().get(C - 1).getClassName()).isEqualTo(names.get(C - 1));
            // Cross-entropy against the uniform target: sum_i (1/C) (lse - x_i) = lse - mean(x).
            double max = x.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            double lse = max + Math.log(x.stream().mapToDouble(v -> Math.exp(v - max)).sum());
            double mean = x.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertThat(scored.get("softmax").getLoss()).isCloseTo(lse - mean, within(1e-9));

            List<ConsumerRecord<String, byte[]>> dead = Topics.read(KAFKA, config.deadLetterTopic(),
                    new ByteArrayDeserializer(), 2);
            assertThat(dead).extracting(r -> DeadLetters.get(r.headers(), Names.HEADER_REASON))
                    .containsExactlyInAnyOrder(InvalidEventException.RECORD_TOO_LARGE, "TOO_MANY_SCORES");
            ConsumerRecord<String, byte[]> tooLarge = dead.stream().filter(r -> InvalidEventException.RECORD_TOO_LARGE
                    .equals(DeadLetters.get(r.headers(), Names.HEADER_REASON))).findFirst().orElseThrow();
            assertThat(tooLarge.value()).isNull();
            assertThat(DeadLetters.get(tooLarge.headers(), Names.HEADER_SOURCE_OFFSET)).isEqualTo("2");
            assertThat(DeadLetters.get(tooLarge.headers(), Names.HEADER_DETAIL))
                    .contains((huge.length + 1) + " bytes, more than the limit of " + config.maxInputBytes()); // key "k"

            // The windows take the events too: each of the tagger's classes gets its own window.
            AvroDeserializer<LossWindow> windows = new AvroDeserializer<>(registry,
                    AvroDeserializer.specificReader(LossWindow.class));
            await("the windows are written").atMost(Duration.ofMinutes(2)).until(() -> Topics.readAll(KAFKA,
                    config.lossWindowsTopic(), windows).stream().anyMatch(r -> r.value().getModelId().equals("tagger")
                    && names.get(C - 1).equals(r.value().getClassName())));
            assertThat(seen).doesNotContainAnyElementsOf(EnumSet.of(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR));
            assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic, null, T0, "k".getBytes(StandardCharsets.UTF_8), value)).get();
    }
}
