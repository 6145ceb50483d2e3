package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.events.PredictionReader;
import io.lossmonitor.fixtures.RegistryProxy;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schemas a producer registered the way Confluent's tools can: with schema references (named types registered under
 * subjects of their own, which the schema names without defining), and schemas of another type (Protobuf), which
 * loss-monitor cannot read. Against the real registry; the schemas are registered with raw REST calls, as such a
 * producer's tooling does, and the records framed by hand.
 */
class SchemaReferencesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** A record naming two types it does not define (see {@link #referencesOfReferencesAreResolvedOnceEach}). */
    private static final String KINDS = """
            {"type": "record", "name": "Kinds", "namespace": "io.lossmonitor.test", "fields": [
              {"name": "task", "type": "io.lossmonitor.schema.Task"},
              {"name": "output", "type": "io.lossmonitor.schema.OutputKind"}]}""";
    private static RegistryProxy proxy;

    @BeforeAll
    static void start() throws IOException {
        proxy = new RegistryProxy(SharedRegistry.get().url());
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static RegistryClient client() {
        return new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, proxy.url(),
                RegistryConfig.MAX_RETRIES, 0)));
    }

    private static String subject(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Registers {@code schema} under {@code subject} with the given references (name, subject, version 1 each). */
    private static int register(String subject, String type, String schema, String... references) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema);
        if (type != null) {
            body.put("schemaType", type);
        }
        ArrayNode refs = body.putArray("references");
        for (int i = 0; i < references.length; i += 2) {
            refs.addObject().put("name", references[i]).put("subject", references[i + 1]).put("version", 1);
        }
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(SharedRegistry.get().url() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body());
        return answer.path("id").asInt();
    }

    /** Registers one of the contracts' enums under a subject of its own; returns the subject. */
    private static String registerEnum(Schema schema) throws Exception {
        String subject = subject(schema.getName());
        register(subject, null, schema.toString());
        return subject;
    }

    private static <T> byte[] frame(int id, Schema schema, DatumWriter<T> writer, T value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        writer.write(value, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void aPredictionSchemaReferencingItsEnumsDecodes() throws Exception {
        String task = registerEnum(Task.getClassSchema());
        String output = registerEnum(OutputKind.getClassSchema());
        // The contract's own file, which names Task and OutputKind without defining them.
        String text = Files.readString(Path.of("schemas", "Prediction.avsc"));
        int id = register(subject("predictions-value"), null, text,
                "io.lossmonitor.schema.Task", task, "io.lossmonitor.schema.OutputKind", output);
        Prediction prediction = Contracts.prediction("p-1");
        byte[] record = frame(id, Prediction.getClassSchema(), new SpecificDatumWriter<>(Prediction.class), prediction);

        RegistryClient client = client();
        assertThat(new AvroDeserializer<>(client, AvroDeserializer.specificReader(Prediction.class))
                .deserialize("predictions", record)).isEqualTo(prediction);
        // The service's own reader, straight into primitive arrays.
        PredictionEvent event = new AvroDeserializer<>(client, PredictionReader::new).deserialize("predictions", record);
        assertThat(event.predictionId()).isEqualTo("p-1");
        assertThat(event.scores()).containsExactly(2.0, -3.0, 0.8, 1.2);
        // The same schema once resolved (the generated class's adds Java string properties, which the form drops).
        assertThat(SchemaNormalization.toParsingForm(client.schemaById(id)))
                .isEqualTo(SchemaNormalization.toParsingForm(Prediction.getClassSchema()));
    }

    @Test
    void referencesOfReferencesAreResolvedOnceEach() throws Exception {
        String task = registerEnum(Task.getClassSchema());
        String output = registerEnum(OutputKind.getClassSchema());
        String kinds = subject("kinds");
        register(kinds, null, KINDS,
                "io.lossmonitor.schema.Task", task, "io.lossmonitor.schema.OutputKind", output);
        // Task reached twice: directly and through Kinds.
        String envelopeText = """
                {"type": "record", "name": "Envelope", "namespace": "io.lossmonitor.test", "fields": [
                  {"name": "kinds", "type": "io.lossmonitor.test.Kinds"},
                  {"name": "fallback", "type": "io.lossmonitor.schema.Task"},
                  {"name": "id", "type": "string"}]}""";
        int id = register(subject("envelope-value"), null, envelopeText,
                "io.lossmonitor.test.Kinds", kinds, "io.lossmonitor.schema.Task", task);

        Schema.Parser parser = new Schema.Parser();
        parser.parse(Task.getClassSchema().toString());
        parser.parse(OutputKind.getClassSchema().toString());
        Schema kindsSchema = parser.parse(KINDS);
        Schema envelope = parser.parse(envelopeText);
        GenericRecord k = new GenericData.Record(kindsSchema);
        k.put("task", new GenericData.EnumSymbol(Task.getClassSchema(), "MULTILABEL"));
        k.put("output", new GenericData.EnumSymbol(OutputKind.getClassSchema(), "PROBABILITIES"));
        GenericRecord e = new GenericData.Record(envelope);
        e.put("kinds", k);
        e.put("fallback", new GenericData.EnumSymbol(Task.getClassSchema(), "BINARY"));
        e.put("id", "e-1");
        byte[] record = frame(id, envelope, new GenericDatumWriter<>(envelope), e);

        RegistryClient client = client();
        int before = proxy.requests();
        GenericRecord read = new AvroDeserializer<GenericRecord>(client, GenericDatumReader::new).deserialize("envelopes", record);
        assertThat(read.toString()).isEqualTo(e.toString());
        // The schema by id, Kinds, Task and OutputKind: each fetched once.
        assertThat(proxy.requests() - before).isEqualTo(4);
        assertThat(client.schemaById(id)).isEqualTo(envelope);
        assertThat(proxy.requests() - before).isEqualTo(4);
    }

    @Test
    void aProtobufSchemaIsRefusedWithItsTypeAndAskedForOnlyOnce() throws Exception {
        int id = register(subject("proto-value"), "PROTOBUF", """
                syntax = "proto3";
                package io.lossmonitor.test;
                message Prediction { string prediction_id = 1; }
                """);
        byte[] record = ByteBuffer.allocate(8).put((byte) 0).putInt(id).put(new byte[] {0x0a, 0x01, 0x70}).array();
        AvroDeserializer<Prediction> deserializer = new AvroDeserializer<>(client(),
                AvroDeserializer.specificReader(Prediction.class));
        int before = proxy.requests();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> deserializer.deserialize("predictions", record))
                    .isInstanceOfSatisfying(RegistryException.class, ex -> {
                        assertThat(ex.errorCode()).isEqualTo(RegistryException.UNUSABLE_SCHEMA);
                        assertThat(ex.isRetriable()).isFalse();
                    })
                    .hasMessage("schema id " + id + " is a PROTOBUF schema: loss-monitor reads Avro only (written with"
                            + " Confluent's KafkaAvroSerializer or loss-monitor's AvroSerializer)");
        }
        assertThat(proxy.requests() - before).isEqualTo(1);
    }
}
