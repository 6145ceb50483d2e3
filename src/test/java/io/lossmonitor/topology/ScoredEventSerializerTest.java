package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.topology.score.Score;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The direct encoding writes exactly the bytes Avro's own writer writes for the same ScoredEvent. */
class ScoredEventSerializerTest {

    private final RegistryClient registry =
            new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, SharedRegistry.get().url())));
    private final String topic = "scored-" + UUID.randomUUID();

    private static Score random(Random r, int classes, boolean retraction, int correct, Map<String, String> segments) {
        int[] index = new int[classes];
        String[] names = new String[classes];
        double[] num = new double[classes];
        double[] den = new double[classes];
        double[] prob = new double[classes];
        for (int i = 0; i < classes; i++) {
            index[i] = r.nextInt(1000);
            names[i] = i % 2 == 0 ? "class-" + index[i] : "κλάση " + i;
            num[i] = r.nextGaussian() * 1e3;
            den[i] = r.nextDouble();
            prob[i] = r.nextDouble();
        }
        LossKind[] kinds = LossKind.values();
        long t = 1_767_225_600_000L + r.nextInt(1_000_000);
        return new Score("model-" + r.nextInt(5), "v" + r.nextInt(3), "p-" + r.nextLong(), t, t + r.nextInt(100_000) - 50,
                kinds[r.nextInt(kinds.length)], retraction, r.nextGaussian(), r.nextDouble() + 0.5, index, names, num, den,
                prob, r.nextInt(10) - 1, r.nextDouble(), correct, r.nextDouble() * 3, r.nextDouble() * 2,
                new double[] {1.0}, segments);
    }

    @Test
    void writesWhatAvrosWriterWrites() {
        ScoredEventSerializer direct = new ScoredEventSerializer(registry);
        AvroSerializer<ScoredEvent> avro = new AvroSerializer<>(registry, false);
        AvroDeserializer<ScoredEvent> reader = new AvroDeserializer<>(registry,
                AvroDeserializer.specificReader(ScoredEvent.class));
        Random r = new Random(7);
        Map<String, String> segments = new LinkedHashMap<>();
        segments.put("region", "eu-west");
        segments.put("tier", "gold");
        int compared = 0;
        for (int classes : new int[] {0, 1, 3, 200}) {
            for (boolean retraction : new boolean[] {false, true}) {
                for (int correct : new int[] {-1, 0, 1}) {
                    for (Map<String, String> seg : java.util.List.of(Map.<String, String>of(), segments)) {
                        Score s = random(r, classes, retraction, correct, seg);
                        byte[] bytes = direct.serialize(topic, s);
                        assertThat(bytes).isEqualTo(avro.serialize(topic, ScoredEvents.of(s)));
                        assertThat(reader.deserialize(topic, bytes)).isEqualTo(ScoredEvents.of(s));
                        compared++;
                    }
                }
            }
        }
        assertThat(compared).isEqualTo(48);
        assertThat(direct.serialize(topic, null)).isNull();
    }

    @Test
    void anotherLatestSchemaIsWrittenByAvrosWriter() {
        // The subject's latest version is not this build's schema: here its confidence is a float, which Avro's
        // writer encodes in 4 bytes where the direct encoding would put 8. Only the generic path reads back right.
        String json = ScoredEvent.getClassSchema().toString();
        assertThat(json).contains("\"name\":\"confidence\",\"type\":\"double\"");
        org.apache.avro.Schema other = new org.apache.avro.Schema.Parser().parse(json.replace(
                "\"name\":\"confidence\",\"type\":\"double\"", "\"name\":\"confidence\",\"type\":\"float\""));
        int otherId = registry.register(topic + "-value", other);
        RegistryClient latest = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL,
                SharedRegistry.get().url(), RegistryConfig.USE_LATEST_VERSION, true, RegistryConfig.AUTO_REGISTER, false)));
        Score s = random(new Random(3), 2, false, 1, Map.of());
        byte[] bytes = new ScoredEventSerializer(latest).serialize(topic, s);
        assertThat(java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(otherId);
        ScoredEvent expected = ScoredEvents.of(s);
        expected.setConfidence((double) (float) s.confidence());
        assertThat(new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ScoredEvent.class))
                .deserialize(topic, bytes)).isEqualTo(expected);
    }
}
