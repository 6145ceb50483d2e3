package io.lossmonitor.topology.score;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.junit.jupiter.api.Test;

/** Specs from the models topic arrive as bytes: read once per change, and an unreadable one rejects its model's events. */
class ModelRulesTest {

    private static final String TOPIC = "models-rules-test";

    private final RegistryClient registry = new RegistryClient(RegistryConfig.from(
            Map.of(RegistryConfig.URL, SharedRegistry.get().url())));
    private final AtomicInteger reads = new AtomicInteger();
    private final ModelSpec configured = ModelSpec.newBuilder().setModelId("m").setNumClasses(3).build();
    private final ModelRules rules = new ModelRules(Map.of("m", configured), countingReader(), TOPIC, 1000, 100);

    /** ModelSpec's reader, counting the specs it decodes. */
    private AvroDeserializer<ModelSpec> countingReader() {
        AvroDeserializer.ReaderFactory<ModelSpec> specific = AvroDeserializer.specificReader(ModelSpec.class);
        return new AvroDeserializer<>(registry, writer -> {
            DatumReader<ModelSpec> reader = specific.create(writer);
            return new DatumReader<>() {
                @Override
                public void setSchema(Schema schema) {
                    reader.setSchema(schema);
                }

                @Override
                public ModelSpec read(ModelSpec reuse, Decoder in) throws IOException {
                    reads.incrementAndGet();
                    return reader.read(reuse, in);
                }
            };
        });
    }

    private byte[] bytes(ModelSpec spec) {
        return new AvroSerializer<ModelSpec>(registry, false).serialize(TOPIC, spec);
    }

    @Test
    void aSpecOnTheTopicIsReadOncePerChangeAndWinsOverTheConfiguredOne() {
        ModelSpec weighted = ModelSpec.newBuilder().setModelId("m").setClassWeights(List.of(1.0, 2.0, 3.0)).build();
        ModelSpec smoothed = ModelSpec.newBuilder().setModelId("m").setLabelSmoothing(0.1).build();
        byte[] first = bytes(weighted);
        byte[] second = bytes(smoothed);

        assertThat(rules.spec("m", null)).isSameAs(configured);
        ModelSpec read = rules.spec("m", first);
        assertThat(read).isEqualTo(weighted);
        // The store hands out a new copy of the same bytes each time: compared by content, not read again.
        assertThat(rules.spec("m", first.clone())).isSameAs(read);
        assertThat(reads).hasValue(1);
        assertThat(rules.spec("m", second)).isEqualTo(smoothed);
        assertThat(rules.spec("m", first.clone())).isEqualTo(weighted);
        assertThat(reads).hasValue(3);
        // A tombstone on the topic: the configured spec again.
        assertThat(rules.spec("m", null)).isSameAs(configured);
    }

    @Test
    void rulesAreCompiledOncePerSpecRead() {
        byte[] weighted = bytes(ModelSpec.newBuilder().setModelId("m").setClassWeights(List.of(1.0, 2.0, 3.0)).build());
        ScoringRule first = rules.rule("m", rules.spec("m", weighted), Task.MULTICLASS, OutputKind.LOGITS, 3);
        ScoringRule again = rules.rule("m", rules.spec("m", weighted.clone()), Task.MULTICLASS, OutputKind.LOGITS, 3);
        assertThat(again).isSameAs(first);
        ScoringRule other = rules.rule("m", rules.spec("m", null), Task.MULTICLASS, OutputKind.LOGITS, 3);
        assertThat(other).isNotSameAs(first);
    }

    @Test
    void aSpecThatCannotBeReadRejectsItsModelsEventsWithTheReason() {
        byte[] notAvro = "{\"model_id\": \"m\"}".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> rules.spec("m", notAvro))
                    .isInstanceOfSatisfying(InvalidEventException.class, e ->
                            assertThat(e.reason()).isEqualTo(InvalidEventException.INVALID_SPEC))
                    .hasMessageContaining("the spec of model 'm' on the " + TOPIC + " topic cannot be read")
                    .hasMessageContaining("magic byte");
        }
        assertThat(rules.canRead("m", notAvro)).as("known to be unreadable without asking the registry").isTrue();
        // Another model is unaffected.
        assertThat(rules.spec("n", null)).isNull();
    }

    @Test
    void aSpecWhoseModelIdIsNotItsKeyRejectsTheKeysEvents() {
        byte[] other = bytes(ModelSpec.newBuilder().setModelId("n").setClassWeights(List.of(1.0, 9.0)).build());
        assertThatThrownBy(() -> rules.spec("m", other))
                .isInstanceOfSatisfying(InvalidEventException.class, e ->
                        assertThat(e.reason()).isEqualTo(InvalidEventException.INVALID_SPEC))
                .hasMessage("the spec of model 'm' on the " + TOPIC + " topic names model 'n' in its model_id (the key"
                        + " must be the model_id); its events are rejected until a usable spec replaces it");
        // Read once, like any spec; a corrected record under the same key applies.
        assertThatThrownBy(() -> rules.spec("m", other.clone())).isInstanceOf(InvalidEventException.class);
        assertThat(reads).hasValue(1);
        ModelSpec fixed = ModelSpec.newBuilder().setModelId("m").setClassWeights(List.of(1.0, 9.0, 1.0)).build();
        assertThat(rules.spec("m", bytes(fixed))).isEqualTo(fixed);
        // The same record keyed by the model it names is that model's spec.
        assertThat(rules.spec("n", other).getModelId()).isEqualTo("n");
    }
}
