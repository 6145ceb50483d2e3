package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.LabelReader;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.events.PredictionReader;
import io.lossmonitor.fixtures.KafkaFixture;
import io.lossmonitor.fixtures.RegistryFixture;
import io.lossmonitor.fixtures.Topics;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoredEvent;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.junit.jupiter.api.Test;

/**
 * The serdes against a real broker and a real Confluent-protocol registry. Subclasses supply the servers: the
 * embedded ones ({@code AvroSerdeIT}) everywhere, the Docker images ({@code AvroSerdeDockerIT}) where Docker runs.
 */
abstract class AvroSerdeContract {

    abstract KafkaFixture kafka();

    abstract RegistryFixture registry();

    RegistryClient client(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryConfig.URL, registry().url());
        config.put(RegistryConfig.MAX_RETRIES, 1);
        config.put(RegistryConfig.RETRIES_WAIT_MS, 100);
        config.put(RegistryConfig.REQUEST_TIMEOUT_MS, 3000);
        config.putAll(extra);
        return new RegistryClient(RegistryConfig.from(config));
    }

    private static String topic(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private <T extends SpecificRecord> void assertRoundTrip(RegistryClient client, Class<T> type, List<T> values) {
        String topic = topic(type.getSimpleName());
        kafka().createTopics(1, topic);
        Topics.produce(kafka(), topic, new AvroSerializer<>(client, false), values);
        AvroDeserializer<T> deserializer = new AvroDeserializer<>(client, AvroDeserializer.specificReader(type));
        List<T> read = Topics.read(kafka(), topic, deserializer, values.size()).stream().map(r -> r.value()).toList();
        assertThat(read).containsExactlyElementsOf(values);
    }

    @Test
    void everyContractRoundTripsThroughBrokerAndRegistry() {
        RegistryClient client = client(Map.of());
        assertRoundTrip(client, Prediction.class, List.of(Contracts.prediction("p-1"), Contracts.prediction("p-2")));
        assertRoundTrip(client, Label.class, List.of(Contracts.indexLabel("p-1"), Contracts.vectorLabel("p-2")));
        assertRoundTrip(client, ScoredEvent.class, List.of(Contracts.scoredEvent()));
        assertRoundTrip(client, LossWindow.class, List.of(Contracts.lossWindow()));
        assertRoundTrip(client, ModelSpec.class, List.of(Contracts.modelSpec()));
    }

    @Test
    void primitiveReadersDecodeWhatTheSerializerWrote() {
        RegistryClient client = client(Map.of());
        String predictions = topic("predictions");
        String labels = topic("labels");
        kafka().createTopics(2, predictions, labels);
        Topics.produce(kafka(), predictions, new AvroSerializer<>(client, false), List.of(Contracts.prediction("p-1")));
        Topics.produce(kafka(), labels, new AvroSerializer<>(client, false),
                List.of(Contracts.indexLabel("p-1"), Contracts.vectorLabel("p-2")));

        PredictionEvent p = Topics.read(kafka(), predictions, new AvroDeserializer<>(client(Map.of()), PredictionReader::new), 1)
                .get(0).value();
        assertThat(p.predictionId()).isEqualTo("p-1");
        assertThat(p.modelVersion()).isEqualTo("v7");
        assertThat(p.timestampMs()).isEqualTo(Contracts.T0.toEpochMilli());
        assertThat(p.scores()).containsExactly(2.0, -3.0, 0.8, 1.2);
        assertThat(p.segments()).containsEntry("country", "DE");

        List<LabelEvent> read = Topics.read(kafka(), labels, new AvroDeserializer<>(client(Map.of()), LabelReader::new), 2)
                .stream().map(r -> r.value()).toList();
        assertThat(read.get(0).hasIndexTarget()).isTrue();
        assertThat(read.get(0).targetIndex()).isEqualTo(2);
        assertThat(read.get(0).weight()).isEqualTo(0.5);
        assertThat(read.get(1).targetVector()).containsExactly(1.0, 0.0, 1.0);
        assertThat(read.get(1).weight()).isEqualTo(1.0);
    }

    /** Prediction as it was before it gained the optional {@code segments} field. */
    static Schema predictionWithoutSegments() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema = (ObjectNode) json.readTree(Prediction.getClassSchema().toString());
        ArrayNode fields = (ArrayNode) schema.get("fields");
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).get("name").asText().equals("segments")) {
                fields.remove(i);
                break;
            }
        }
        return new Schema.Parser().parse(schema.toString());
    }

    @Test
    void recordsWrittenWithAnOlderSchemaVersionStillDecode() throws Exception {
        RegistryClient client = client(Map.of());
        String topic = topic("predictions-evolution");
        kafka().createTopics(1, topic);
        Schema old = predictionWithoutSegments();
        GenericRecord oldRecord = new GenericData.Record(old);
        Prediction current = Contracts.prediction("p-new");
        for (Schema.Field field : old.getFields()) {
            Object value = current.get(field.name());
            if (value instanceof java.time.Instant instant) {
                value = instant.toEpochMilli();
            } else if (value instanceof Enum<?> symbol) {
                value = new GenericData.EnumSymbol(field.schema(), symbol.name());
            }
            oldRecord.put(field.name(), value);
        }
        oldRecord.put("prediction_id", "p-old");
        Topics.produce(kafka(), topic, new AvroSerializer<GenericRecord>(client, false), List.of(oldRecord));
        Topics.produce(kafka(), topic, new AvroSerializer<>(client, false), List.of(current));
        assertThat(client.versions(topic + "-value")).hasSize(2);

        List<Prediction> read = Topics.read(kafka(), topic,
                new AvroDeserializer<>(client(Map.of()), AvroDeserializer.specificReader(Prediction.class)), 2)
                .stream().map(r -> r.value()).toList();
        assertThat(read.get(0).getPredictionId()).isEqualTo("p-old");
        assertThat(read.get(0).getSegments()).isEmpty();
        assertThat(read.get(0).getScores()).isEqualTo(current.getScores());
        assertThat(read.get(1)).isEqualTo(current);

        List<PredictionEvent> events = Topics.read(kafka(), topic, new AvroDeserializer<>(client(Map.of()),
                PredictionReader::new), 2).stream().map(r -> r.value()).toList();
        assertThat(events.get(0).segments()).isEmpty();
        assertThat(events.get(0).scores()).containsExactly(2.0, -3.0, 0.8, 1.2);
    }

    @Test
    void anIncompatibleSchemaIsRefusedWith409() throws Exception {
        RegistryClient client = client(Map.of());
        String subject = topic("compat") + "-value";
        client.register(subject, Prediction.getClassSchema());
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema = (ObjectNode) json.readTree(Prediction.getClassSchema().toString());
        ((ArrayNode) schema.get("fields")).addObject().put("name", "required_without_default").put("type", "string");
        Schema incompatible = new Schema.Parser().parse(schema.toString());

        assertThat(client.isCompatible(subject, incompatible)).isFalse();
        assertThatThrownBy(() -> client.register(subject, incompatible))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(RegistryException.INCOMPATIBLE_SCHEMA);
                    assertThat(e.isRetriable()).isFalse();
                });
    }

    @Test
    void aMissingSubjectIs40401WhenAutoRegistrationIsOff() {
        RegistryClient client = client(Map.of(RegistryConfig.AUTO_REGISTER, "false"));
        String topic = topic("unregistered");
        AvroSerializer<Prediction> serializer = new AvroSerializer<>(client, false);
        assertThatThrownBy(() -> serializer.serialize(topic, Contracts.prediction("p")))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(RegistryException.SUBJECT_NOT_FOUND))
                .hasMessageContaining("40401");
    }

    @Test
    void wrongMagicByteUnknownIdAndTruncatedBodyGivePreciseErrors() {
        RegistryClient client = client(Map.of());
        String topic = topic("bad-bytes");
        kafka().createTopics(1, topic);
        byte[] good = new AvroSerializer<Prediction>(client, false).serialize(topic, Contracts.prediction("p"));
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 1;
        byte[] unknownId = good.clone();
        unknownId[1] = 0x3f;
        byte[] truncated = Arrays.copyOf(good, good.length - 5);
        Topics.produce(kafka(), topic, new org.apache.kafka.common.serialization.ByteArraySerializer(),
                List.of(wrongMagic, unknownId, truncated, good));
        List<byte[]> raw = Topics.readRaw(kafka(), topic, 4);

        AvroDeserializer<Prediction> deserializer = new AvroDeserializer<>(client(Map.of()),
                AvroDeserializer.specificReader(Prediction.class));
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(0)))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("unknown magic byte 0x01");
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(1)))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(RegistryException.SCHEMA_NOT_FOUND));
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(2)))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("truncated Avro body");
        assertThat(deserializer.deserialize(topic, raw.get(3))).isEqualTo(Contracts.prediction("p"));

        // A consumer configured with the deserializer surfaces the same cause, with the record's position.
        assertThatThrownBy(() -> Topics.read(kafka(), topic, deserializer, 1))
                .isInstanceOf(RecordDeserializationException.class)
                .hasRootCauseInstanceOf(WireFormatException.class)
                .hasRootCauseMessage("unknown magic byte 0x01 (expected 0x00): the payload is not in the Confluent"
                        + " wire format");
    }

    @Test
    void aDeadUrlIsSkippedForTheNextOne() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        RegistryClient client = client(Map.of(RegistryConfig.URL,
                "http://127.0.0.1:" + closed + "/apis/ccompat/v7," + registry().url()));
        int id = client.register(topic("failover") + "-value", Label.getClassSchema());
        assertThat(client.schemaById(id)).isEqualTo(Label.getClassSchema());
    }

    @Test
    void cachedIdsKeepWorkingWhileTheRegistryIsDownAndNewSchemasRecoverAfter() {
        RegistryClient client = client(Map.of());
        String topic = topic("restart");
        String labels = topic("restart-labels");
        kafka().createTopics(1, topic, labels);
        AvroSerializer<Prediction> serializer = new AvroSerializer<>(client, false);
        AvroDeserializer<Prediction> deserializer = new AvroDeserializer<>(client, AvroDeserializer.specificReader(Prediction.class));
        Topics.produce(kafka(), topic, serializer, List.of(Contracts.prediction("before")));
        assertThat(Topics.read(kafka(), topic, deserializer, 1).get(0).value().getPredictionId()).isEqualTo("before");

        registry().stop();
        try {
            Topics.produce(kafka(), topic, serializer, List.of(Contracts.prediction("during")));
            assertThat(Topics.read(kafka(), topic, deserializer, 2).get(1).value().getPredictionId()).isEqualTo("during");

            AvroSerializer<Label> labelSerializer = new AvroSerializer<>(client, false);
            assertThatThrownBy(() -> labelSerializer.serialize(labels, Contracts.indexLabel("during")))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isRetriable()).isTrue());
        } finally {
            registry().start();
        }
        Topics.produce(kafka(), labels, new AvroSerializer<>(client, false), List.of(Contracts.indexLabel("after")));
        RegistryClient cold = client(Map.of());
        assertThat(Topics.read(kafka(), labels, new AvroDeserializer<>(cold, AvroDeserializer.specificReader(Label.class)), 1)
                .get(0).value().getPredictionId()).isEqualTo("after");
        assertThat(Topics.read(kafka(), topic, new AvroDeserializer<>(cold, AvroDeserializer.specificReader(Prediction.class)), 2)
                .get(0).value().getPredictionId()).isEqualTo("before");
    }
}
