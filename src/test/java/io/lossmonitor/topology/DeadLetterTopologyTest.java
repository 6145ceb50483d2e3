package io.lossmonitor.topology;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every kind of invalid record reaches the dead-letter topic, as produced, with its reason and source. */
class DeadLetterTopologyTest {

    private TopologyHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new TopologyHarness(TopologyConfig.defaults());
        h.pipe(ModelSpec.newBuilder().setModelId("spec").setNumClasses(3).build());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private void assertDeadLetter(TestRecord<byte[], byte[]> record, byte[] value, String reason, String detail,
                                  String sourceTopic) {
        assertThat(TopologyHarness.header(record.headers(), Names.HEADER_REASON)).isEqualTo(reason);
        assertThat(TopologyHarness.header(record.headers(), Names.HEADER_DETAIL)).contains(detail);
        assertThat(TopologyHarness.header(record.headers(), Names.HEADER_SOURCE_TOPIC)).isEqualTo(sourceTopic);
        assertThat(TopologyHarness.header(record.headers(), DeadLetters.STREAMS_TOPIC)).isEqualTo(sourceTopic);
        assertThat(TopologyHarness.header(record.headers(), Names.HEADER_SOURCE_OFFSET)).isNotNull();
        assertThat(record.value()).isEqualTo(value);
    }

    @Test
    void invalidPredictionsAreDeadLetteredWithTheirReason() throws Exception {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        Map<String, String> details = new LinkedHashMap<>();
        Prediction good = prediction("m", "v1", "ok", T0, Task.MULTICLASS, OutputKind.LOGITS, 1, 2, 3);
        byte[] goodBytes = h.serialize(good);

        cases.put("UNDESERIALIZABLE", new byte[] {0x13, 0x37, 0x00, 0x42, 0x11, 0x05, 0x7f});
        details.put("UNDESERIALIZABLE", "unknown magic byte 0x13");
        byte[] unknownId = goodBytes.clone();
        unknownId[1] = 0x3f;
        cases.put("UNDESERIALIZABLE#id", unknownId);
        details.put("UNDESERIALIZABLE#id", "40403");
        cases.put("UNDESERIALIZABLE#truncated", java.util.Arrays.copyOf(goodBytes, goodBytes.length - 3));
        details.put("UNDESERIALIZABLE#truncated", "truncated Avro body");
        int protobuf = registerProtobufSchema();
        cases.put("UNDESERIALIZABLE#protobuf", ByteBuffer.allocate(8).put((byte) 0).putInt(protobuf)
                .put(new byte[] {0x0a, 0x01, 0x70}).array());
        details.put("UNDESERIALIZABLE#protobuf", "schema id " + protobuf + " is a PROTOBUF schema: loss-monitor reads"
                + " Avro only");
        cases.put("NON_FINITE_SCORE", h.serialize(prediction("m", "v1", "nan", T0, Task.MULTICLASS, OutputKind.LOGITS,
                1, Double.NaN, 3)));
        details.put("NON_FINITE_SCORE", "score[1] = NaN is not finite");
        cases.put("SHAPE_MISMATCH", h.serialize(prediction("spec", "v1", "len", T0, Task.MULTICLASS, OutputKind.LOGITS,
                1, 2, 3, 4)));
        details.put("SHAPE_MISMATCH", "prediction has 4 scores; model spec (MULTICLASS) expects 3");
        cases.put("PROBABILITY_OUT_OF_RANGE", h.serialize(prediction("m", "v1", "range", T0, Task.MULTILABEL,
                OutputKind.PROBABILITIES, 0.5, 1.5)));
        details.put("PROBABILITY_OUT_OF_RANGE", "input[1] = 1.5 is outside [0, 1]");
        cases.put("PROBABILITY_SUM", h.serialize(prediction("m", "v1", "sum", T0, Task.MULTICLASS,
                OutputKind.PROBABILITIES, 0.5, 0.4)));
        details.put("PROBABILITY_SUM", "probabilities sum to 0.9");
        cases.put("LOSS_MISMATCH", h.serialize(prediction("m", "v1", "lp", T0, Task.BINARY,
                OutputKind.LOG_PROBABILITIES, -0.5)));
        details.put("LOSS_MISMATCH", "does not fit a BINARY prediction of LOG_PROBABILITIES");
        cases.put("TIMESTAMP_OUT_OF_RANGE", h.serialize(prediction("m", "v1", "future", T0 + 2 * 86_400_000L,
                Task.BINARY, OutputKind.LOGITS, 0.5)));
        details.put("TIMESTAMP_OUT_OF_RANGE", "ms in the future (record time");
        cases.put("TOO_MANY_SCORES", h.serialize(prediction("m", "v1", "big", T0, Task.MULTILABEL, OutputKind.LOGITS,
                new double[10_001])));
        details.put("TOO_MANY_SCORES", "more than the limit of 10000");
        cases.put("MISSING_FIELD", h.serialize(prediction("m", "v1", "", T0, Task.BINARY, OutputKind.LOGITS, 0.5)));
        details.put("MISSING_FIELD", "prediction_id is empty");
        // A model id with the join key's separator in it could make two (model, prediction) keys one.
        cases.put("INVALID_ID", h.serialize(prediction("m\u001fx", "v1", "sep", T0, Task.BINARY, OutputKind.LOGITS, 0.5)));
        details.put("INVALID_ID", "model_id contains the control character U+001F at index 1");
        cases.put("INVALID_ID#version", h.serialize(prediction("m", "v\n1", "nl", T0, Task.BINARY, OutputKind.LOGITS, 0.5)));
        details.put("INVALID_ID#version", "model_version contains the control character U+000A at index 1");
        cases.put("NULL_VALUE", null);
        details.put("NULL_VALUE", "record has no value");

        for (byte[] value : cases.values()) {
            h.pipeRawPrediction(value, T0);
        }
        h.pipe(good);
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).hasSize(cases.size());
        int i = 0;
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            String reason = c.getKey().split("#")[0];
            assertDeadLetter(dead.get(i), c.getValue(), reason, details.get(c.getKey()), h.config.predictionsTopic());
            assertThat(TopologyHarness.header(dead.get(i).headers(), Names.HEADER_SOURCE_OFFSET)).isEqualTo(Integer.toString(i));
            i++;
        }
        long invalid = h.accounting().entrySet().stream()
                .filter(e -> e.getKey().startsWith(Accounting.PREDICTIONS) && e.getKey().endsWith(Accounting.INVALID))
                .mapToLong(Map.Entry::getValue).sum();
        assertThat(invalid).isEqualTo(cases.size());
        assertThat(h.count(Accounting.PREDICTIONS, "m", Accounting.PENDING)).isEqualTo(1);
    }

    /** A Protobuf schema, registered as a producer using Confluent's Protobuf serializer would; returns its id. */
    private static int registerProtobufSchema() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String body = json.createObjectNode().put("schemaType", "PROTOBUF")
                .put("schema", "syntax = \"proto3\"; message P { string id = 1; }").toString();
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                                SharedRegistry.get().url() + "/subjects/protobuf-" + System.nanoTime() + "-value/versions"))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return json.readTree(answer.body()).path("id").asInt();
    }

    @Test
    void invalidLabelsAreDeadLetteredAtIntakeOrAtTheJoin() {
        h.pipe(prediction("m", "v1", "p", T0, Task.MULTICLASS, OutputKind.LOGITS, 1, 2, 3));
        h.pipe(prediction("b", "v1", "p", T0, Task.BINARY, OutputKind.LOGITS, 0.3));
        Label negativeWeight = Label.newBuilder(label("m", "p", T0 + 10, 1)).setWeight(-1.0).build();
        Label nanTarget = label("m", "p", T0 + 10, List.of(0.5, Double.NaN, 0.5));
        Label outOfRange = label("m", "p", T0 + 10, 7);
        Label wrongLength = label("m", "p", T0 + 10, List.of(0.5, 0.5));
        Label binaryTwo = label("b", "p", T0 + 10, 2);
        List<Label> labels = List.of(negativeWeight, nanTarget, outOfRange, wrongLength, binaryTwo);
        for (Label l : labels) {
            h.pipe(l);
        }
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).hasSize(5);
        assertDeadLetter(dead.get(0), h.serialize(negativeWeight), "INVALID_WEIGHT", "sample weight -1.0",
                h.config.labelsTopic());
        assertDeadLetter(dead.get(1), h.serialize(nanTarget), "NON_FINITE_TARGET", "target[1] = NaN",
                h.config.labelsTopic());
        assertDeadLetter(dead.get(2), h.serialize(outOfRange), "TARGET_OUT_OF_RANGE", "target 7 is out of bounds",
                h.config.labelsTopic());
        assertDeadLetter(dead.get(3), h.serialize(wrongLength), "SHAPE_MISMATCH", "probability target has 2 values",
                h.config.labelsTopic());
        assertDeadLetter(dead.get(4), h.serialize(binaryTwo), "TARGET_OUT_OF_RANGE", "binary target 2",
                h.config.labelsTopic());
        // The predictions are still waiting for a label that fits.
        assertThat(h.count(Accounting.PREDICTIONS, "m", Accounting.PENDING)).isEqualTo(1);
        assertThat(h.count(Accounting.LABELS, "m", Accounting.INVALID)).isEqualTo(4);
        assertThat(h.count(Accounting.LABELS, "b", Accounting.INVALID)).isEqualTo(1);
        h.pipe(label("m", "p", T0 + 20, 2));
        assertThat(h.scored()).hasSize(1);
    }

    @Test
    void aMaskedClassIsScoredAsPyTorchDoesAndALabelItCannotScoreIsDeadLettered() {
        double inf = Double.NEGATIVE_INFINITY;
        // Class 1 masked with -inf: valid, as in PyTorch, whose softmax gives it probability 0.
        h.pipe(prediction("m", "v1", "a", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, inf, 0.5));
        h.pipe(prediction("m", "v1", "b", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, inf, 0.5));
        h.pipe(prediction("m", "v1", "c", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, inf, 0.5));
        assertThat(h.deadLetters()).isEmpty();
        Label joined = label("m", "a", T0 + 10, 0);
        Label maskedTarget = label("m", "b", T0 + 10, 1);
        Label soft = label("m", "c", T0 + 10, List.of(0.5, 0.0, 0.5));
        h.pipe(joined);
        h.pipe(maskedTarget);
        h.pipe(soft);
        // Dropping the masked class leaves softmax([2, 0.5]): -log p_0 = log(1 + e^-1.5), by hand.
        assertThat(h.scored()).singleElement().satisfies(e -> {
            assertThat(e.getPredictionId()).isEqualTo("a");
            assertThat(e.getLoss()).isCloseTo(Math.log1p(Math.exp(-1.5)), Offset.offset(1e-15));
        });
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).hasSize(2);
        assertDeadLetter(dead.get(0), h.serialize(maskedTarget), "MASKED_CLASS", "the target class 1 is masked",
                h.config.labelsTopic());
        assertDeadLetter(dead.get(1), h.serialize(soft), "MASKED_CLASS", "which a probability target cannot take",
                h.config.labelsTopic());
        // The two predictions wait for a label that fits; a NaN or +inf score is still invalid at intake.
        assertThat(h.count(Accounting.PREDICTIONS, "m", Accounting.PENDING)).isEqualTo(2);
        h.pipe(prediction("m", "v1", "d", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, Double.POSITIVE_INFINITY, 0.5));
        assertThat(h.deadLetters()).singleElement().satisfies(r -> assertThat(
                TopologyHarness.header(r.headers(), Names.HEADER_REASON)).isEqualTo("NON_FINITE_SCORE"));
    }

    @Test
    void aSpecKeyedByAnotherModelScoresNeither() {
        // Keyed 'm', naming 'n': which model was meant is unclear, so m's predictions are refused, n has no spec.
        h.pipe("m", ModelSpec.newBuilder().setModelId("n").setClassWeights(List.of(1.0, 1.0, 4.0)).build());
        Prediction m1 = prediction("m", "v1", "m1", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0);
        h.pipe(m1);
        h.pipe(prediction("n", "v1", "n1", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0));
        h.pipe(label("n", "n1", T0 + 10, 2));
        assertDeadLetter(h.deadLetters().get(0), h.serialize(m1), "INVALID_SPEC", "the spec of model 'm' on the "
                + h.config.modelsTopic() + " topic names model 'n' in its model_id", h.config.predictionsTopic());
        assertThat(h.scored()).singleElement().satisfies(e -> {
            assertThat(e.getModelId()).isEqualTo("n");
            // Unweighted: log(e^2 + e^0.5 + e^1) - 1.
            assertThat(e.getDenominator()).isEqualTo(1.0);
            assertThat(e.getNumerator()).isCloseTo(Math.log(Math.exp(2.0) + Math.exp(0.5) + Math.exp(1.0)) - 1.0,
                    Offset.offset(1e-12));
        });
    }

    @Test
    void aSpecThatCannotBeReadDeadLettersItsModelsPredictionsUntilAReadableOneReplacesIt() {
        byte[] notAvro = "class_weights: [1, 2]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] unknownSchema = {0, 0x3f, 0x3f, 0x3f, 0x3f, 2, 'x'}; // Confluent framing, a schema id no registry has
        h.pipeRawSpec("m", notAvro);
        h.pipeRawSpec("n", unknownSchema);
        Prediction m1 = prediction("m", "v1", "m1", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0);
        Prediction n1 = prediction("n", "v1", "n1", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0);
        h.pipe(m1);
        h.pipe(n1);
        // Other models are not held up.
        h.pipe(prediction("o", "v1", "o1", T0, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0));
        h.pipe(label("o", "o1", T0 + 10, 0));
        assertThat(h.scored()).extracting(e -> e.getModelId()).containsExactly("o");
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).hasSize(2);
        assertDeadLetter(dead.get(0), h.serialize(m1), "INVALID_SPEC", "the spec of model 'm' on the "
                + h.config.modelsTopic() + " topic cannot be read", h.config.predictionsTopic());
        assertDeadLetter(dead.get(1), h.serialize(n1), "INVALID_SPEC", "the spec of model 'n'", h.config.predictionsTopic());
        assertThat(h.count(Accounting.PREDICTIONS, "m", Accounting.INVALID)).isEqualTo(1);

        // A readable spec replaces the broken one: class weight 4 for the target, class 2, by the spec.
        h.pipe(ModelSpec.newBuilder().setModelId("m").setClassWeights(List.of(1.0, 1.0, 4.0)).build());
        h.pipe(prediction("m", "v1", "m2", T0 + 20, Task.MULTICLASS, OutputKind.LOGITS, 2.0, 0.5, 1.0));
        h.pipe(label("m", "m2", T0 + 30, 2));
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.scored()).singleElement().satisfies(e -> {
            assertThat(e.getModelId()).isEqualTo("m");
            assertThat(e.getDenominator()).isEqualTo(4.0);
            // log(e^2 + e^0.5 + e^1) - 1, weighted by 4.
            assertThat(e.getNumerator()).isCloseTo(
                    4 * (Math.log(Math.exp(2.0) + Math.exp(0.5) + Math.exp(1.0)) - 1.0), Offset.offset(1e-12));
        });
    }

    @Test
    void anInputLargerThanTheLimitIsDeadLetteredWithoutItsKeyAndValue() {
        long limit = h.config.maxInputBytes();
        // 16 bytes per score of max-scores plus 32 KiB, with the key ("raw", 3 bytes) and headers counted.
        assertThat(limit).isEqualTo(16L * h.config.maxScores() + 32 * 1024);
        Prediction small = prediction("m", "v1", "fits", T0, Task.BINARY, OutputKind.LOGITS, 0.5);
        int room = (int) (limit - 3 - h.serialize(small).length);
        Prediction padded = Prediction.newBuilder(small).setPredictionId("padded")
                .setSegments(Map.of("s", "x".repeat(room))).build();
        byte[] over = h.serialize(padded);
        h.pipeRawPrediction(over, T0);
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add("trace", new byte[(int) limit]);
        h.pipeRawPrediction(h.serialize(small), headers, T0);
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).hasSize(2).allSatisfy(r -> {
            assertThat(TopologyHarness.header(r.headers(), Names.HEADER_REASON)).isEqualTo("RECORD_TOO_LARGE");
            assertThat(r.key()).isNull();
            assertThat(r.value()).isNull();
            assertThat(TopologyHarness.header(r.headers(), Names.HEADER_SOURCE_TOPIC)).isEqualTo(h.config.predictionsTopic());
        });
        assertThat(TopologyHarness.header(dead.get(0).headers(), Names.HEADER_DETAIL))
                .startsWith("record is " + (over.length + 3) + " bytes, more than the limit of " + limit);
        assertThat(TopologyHarness.header(dead.get(1).headers(), Names.HEADER_SOURCE_OFFSET)).isEqualTo("1");
        assertThat(h.count(Accounting.PREDICTIONS, Accounting.UNKNOWN_MODEL, Accounting.INVALID)).isEqualTo(2);

        // Exactly at the limit is accepted.
        int excess = over.length + 3 - (int) limit;
        Prediction fits = Prediction.newBuilder(small).setPredictionId("padded")
                .setSegments(Map.of("s", "x".repeat(room - excess))).build();
        assertThat(h.serialize(fits).length + 3L).isEqualTo(limit);
        h.pipeRawPrediction(h.serialize(fits), T0);
        h.pipe(label("m", "padded", T0 + 10, 1));
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.scored()).extracting(e -> e.getPredictionId()).containsExactly("padded");
    }

    @Test
    void classNamesOverTheirBudgetMakeTheSpecInvalid() {
        // 1,200 names of 250 characters each: every one within the limit for a name, 300,000 bytes together.
        List<String> names = java.util.stream.IntStream.range(0, 1200)
                .mapToObj(i -> String.format("%04d", i) + "n".repeat(246)).toList();
        h.pipe(ModelSpec.newBuilder().setModelId("named").setClassNames(names).build());
        h.pipe(prediction("named", "v1", "p", T0, Task.MULTICLASS, OutputKind.LOGITS, new double[1200]));
        assertThat(h.deadLetters()).singleElement().satisfies(r -> {
            assertThat(TopologyHarness.header(r.headers(), Names.HEADER_REASON)).isEqualTo("INVALID_SPEC");
            assertThat(TopologyHarness.header(r.headers(), Names.HEADER_DETAIL))
                    .contains("class names of 300000 bytes in all, more than the limit of 262144");
        });
    }

    /**
     * Model ids, versions and class names are metric label values: up to 256 characters each are taken, a longer one
     * is refused (a scrape with one over the Prometheus server's label length limit would be refused whole).
     */
    @Test
    void namesAreBoundedAsMetricLabelValues() {
        String longest = "m".repeat(256);
        String version = "v".repeat(256);
        h.pipe(ModelSpec.newBuilder().setModelId(longest).setClassNames(List.of("a".repeat(256), "b")).build());
        h.pipe(prediction(longest, version, "fits", T0, Task.MULTICLASS, OutputKind.LOGITS, 0.5, 1.5));
        h.pipe(label(longest, "fits", T0 + 10, 1));
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.scored()).extracting(e -> e.getModelVersion()).containsExactly(version);

        h.pipe(prediction(longest + "x", "v1", "model", T0, Task.BINARY, OutputKind.LOGITS, 0.5));
        h.pipe(prediction("m", version + "x", "version", T0, Task.BINARY, OutputKind.LOGITS, 0.5));
        h.pipe(label(longest + "x", "model", T0 + 10, 1));
        h.pipe(ModelSpec.newBuilder().setModelId("named").setClassNames(List.of("a", "c".repeat(257))).build());
        h.pipe(prediction("named", "v1", "class", T0, Task.MULTICLASS, OutputKind.LOGITS, 0.5, 1.5));
        List<TestRecord<byte[], byte[]>> dead = h.deadLetters();
        assertThat(dead).extracting(r -> TopologyHarness.header(r.headers(), Names.HEADER_REASON))
                .containsExactly("INVALID_ID", "INVALID_ID", "INVALID_ID", "INVALID_SPEC");
        assertThat(dead).extracting(r -> TopologyHarness.header(r.headers(), Names.HEADER_DETAIL)).satisfiesExactly(
                d -> assertThat(d).isEqualTo("model_id is 257 characters long, more than the limit of 256 (it is a"
                        + " metric label value)"),
                d -> assertThat(d).startsWith("model_version is 257 characters long"),
                d -> assertThat(d).startsWith("model_id is 257 characters long"),
                d -> assertThat(d).contains("has a class name of 257 characters (class 1), more than the limit of 256"));
    }

    @Test
    void aTimestampFarInThePastIsInvalid() {
        Prediction ancient = prediction("m", "v1", "old", Instant.parse("1999-12-31T00:00:00Z").toEpochMilli(),
                Task.BINARY, OutputKind.LOGITS, 0.5);
        h.pipe(ancient, T0);
        assertThat(h.deadLetters()).singleElement().satisfies(r -> assertThat(
                TopologyHarness.header(r.headers(), Names.HEADER_REASON)).isEqualTo("TIMESTAMP_OUT_OF_RANGE"));
    }
}
