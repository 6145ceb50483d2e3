package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.Prediction;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * One serializer writing several record classes to several topics in turn, as the traffic generator's serializer does: each
 * record carries the id its topic's subject gives its schema, and every subject it wrote to has the schema
 * registered (checked with a client of its own, whose cache knows nothing), however the writes interleave.
 */
class AvroSerializerTest {

    private static RegistryClient client() {
        return new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, SharedRegistry.get().url(),
                RegistryConfig.MAX_RETRIES, 1, RegistryConfig.RETRIES_WAIT_MS, 100)));
    }

    @Test
    void interleavedTopicsAndSchemasEachGetTheirSubjectsId() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // A subject holds one record type under the registry's compatibility rule: predictions to two topics, labels
        // to a third, interleaved.
        String first = "interleaved-a-" + run;
        String second = "interleaved-b-" + run;
        String third = "interleaved-c-" + run;
        AvroSerializer<SpecificRecord> serializer = new AvroSerializer<>(client(), false);
        Prediction prediction = Contracts.prediction("p-1");
        Label label = Contracts.indexLabel("p-1");
        record Write(String topic, SpecificRecord value) {
        }
        List<Write> writes = List.of(new Write(first, prediction), new Write(second, label), new Write(third, prediction),
                new Write(first, prediction), new Write(second, label), new Write(third, prediction), new Write(second, label));

        RegistryClient fresh = client();
        AvroDeserializer<Prediction> predictions = new AvroDeserializer<>(fresh, AvroDeserializer.specificReader(Prediction.class));
        AvroDeserializer<Label> labels = new AvroDeserializer<>(fresh, AvroDeserializer.specificReader(Label.class));
        for (Write write : writes) {
            byte[] bytes = serializer.serialize(write.topic(), write.value());
            int expected = fresh.lookup(write.topic() + "-value", write.value().getSchema());
            assertThat(WireFormat.schemaId(bytes)).as("%s on %s", write.value().getSchema().getName(), write.topic())
                    .isEqualTo(expected);
            Object read = write.value() instanceof Prediction
                    ? predictions.deserialize(write.topic(), bytes) : labels.deserialize(write.topic(), bytes);
            assertThat(read).isEqualTo(write.value());
        }
    }
}
