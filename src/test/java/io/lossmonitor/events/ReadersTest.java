package io.lossmonitor.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/** The primitive-array readers resolve writer schemas to ours: promotions, defaults, both union branches. */
class ReadersTest {

    private static byte[] encode(Schema schema, Object record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        if (record instanceof GenericData.Record) {
            new GenericDatumWriter<Object>(schema).write(record, encoder);
        } else {
            new SpecificDatumWriter<Object>(schema).write(record, encoder);
        }
        encoder.flush();
        return out.toByteArray();
    }

    @Test
    void floatScoresFromAPythonProducerArePromotedToDouble() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema = (ObjectNode) json.readTree(Prediction.getClassSchema().toString());
        for (var field : schema.withArray("fields")) {
            if (field.get("name").asText().equals("scores")) {
                ((ObjectNode) field.get("type")).put("items", "float");
            }
        }
        Schema writer = new Schema.Parser().parse(schema.toString());
        GenericRecord record = new GenericData.Record(writer);
        record.put("prediction_id", "p");
        record.put("model_id", "m");
        record.put("model_version", "1");
        record.put("timestamp", 1234L);
        record.put("task", new GenericData.EnumSymbol(writer.getField("task").schema(), "MULTICLASS"));
        record.put("output", new GenericData.EnumSymbol(writer.getField("output").schema(), "PROBABILITIES"));
        record.put("scores", List.of(0.25f, 0.75f, 0.1f));
        record.put("segments", Map.of());
        PredictionReader reader = new PredictionReader(writer);
        assertThat(reader.isDirect()).as("float items take the direct path").isTrue();
        PredictionEvent event = reader.read(null, DecoderFactory.get().binaryDecoder(encode(writer, record), null));
        assertThat(event.task()).isEqualTo(Task.MULTICLASS);
        assertThat(event.output()).isEqualTo(OutputKind.PROBABILITIES);
        assertThat(event.timestampMs()).isEqualTo(1234L);
        // float -> double is exact: 0.1f is 0.100000001490116..., not 0.1.
        assertThat(event.scores()).containsExactly(0.25, 0.75, (double) 0.1f);
    }

    @Test
    void anEvolvedWriterSchemaGoesThroughTheResolver() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode schema = (ObjectNode) json.readTree(Prediction.getClassSchema().toString());
        // An older producer: no segments, and an extra field we do not know.
        var fields = schema.withArray("fields");
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).get("name").asText().equals("segments")) {
                fields.remove(i);
                break;
            }
        }
        fields.insertObject(0).put("name", "request_id").put("type", "string");
        Schema writer = new Schema.Parser().parse(schema.toString());
        GenericRecord record = new GenericData.Record(writer);
        record.put("request_id", "r-1");
        record.put("prediction_id", "p");
        record.put("model_id", "m");
        record.put("model_version", "1");
        record.put("timestamp", 99L);
        record.put("task", new GenericData.EnumSymbol(writer.getField("task").schema(), "BINARY"));
        record.put("output", new GenericData.EnumSymbol(writer.getField("output").schema(), "LOGITS"));
        record.put("scores", List.of(-1.5));
        PredictionReader reader = new PredictionReader(writer);
        assertThat(reader.isDirect()).isFalse();
        PredictionEvent event = reader.read(null, DecoderFactory.get().binaryDecoder(encode(writer, record), null));
        assertThat(event.predictionId()).isEqualTo("p");
        assertThat(event.timestampMs()).isEqualTo(99L);
        assertThat(event.scores()).containsExactly(-1.5);
        assertThat(event.segments()).isEmpty();
    }

    @Test
    void largeScoreArraysSpanSeveralBlocks() throws Exception {
        double[] scores = new double[5000];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i * 0.5;
        }
        Prediction p = Prediction.newBuilder().setPredictionId("p").setModelId("m").setModelVersion("1")
                .setTimestamp(Instant.ofEpochMilli(5)).setTask(Task.MULTILABEL).setOutput(OutputKind.LOGITS)
                .setScores(java.util.Arrays.stream(scores).boxed().toList()).build();
        PredictionReader reader = new PredictionReader(Prediction.getClassSchema());
        assertThat(reader.isDirect()).isTrue();
        PredictionEvent event = reader.read(null,
                DecoderFactory.get().binaryDecoder(encode(Prediction.getClassSchema(), p), null));
        assertThat(event.scores()).containsExactly(scores);
        assertThat(event.segments()).isEmpty();
    }

    @Test
    void labelTargetsOfBothKindsAndTheOptionalWeight() throws Exception {
        Label index = Label.newBuilder().setPredictionId("a").setModelId("m").setTimestamp(Instant.ofEpochMilli(1))
                .setTarget(3).build();
        Label vector = Label.newBuilder().setPredictionId("b").setModelId("m").setTimestamp(Instant.ofEpochMilli(2))
                .setTarget(List.of(0.2, 0.8)).setWeight(2.5).build();
        LabelReader reader = new LabelReader(Label.getClassSchema());
        LabelEvent a = reader.read(null, DecoderFactory.get().binaryDecoder(encode(Label.getClassSchema(), index), null));
        LabelEvent b = reader.read(null, DecoderFactory.get().binaryDecoder(encode(Label.getClassSchema(), vector), null));
        assertThat(a.hasIndexTarget()).isTrue();
        assertThat(a.targetIndex()).isEqualTo(3);
        assertThat(a.weight()).isEqualTo(1.0);
        assertThat(b.hasIndexTarget()).isFalse();
        assertThat(b.targetVector()).containsExactly(0.2, 0.8);
        assertThat(b.weight()).isEqualTo(2.5);
        assertThat(b.timestampMs()).isEqualTo(2);
    }
}
