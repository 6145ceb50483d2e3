package io.lossmonitor.topology;

import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.WireFormat;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.topology.score.Score;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes a {@link Score} to the scored-events topic as a {@code ScoredEvent} in the Confluent wire format, field by
 * field with Avro's own binary encoder: the same bytes as building the {@code ScoredEvent} and writing it with
 * Avro's {@code SpecificDatumWriter} ({@code ScoredEventSerializerTest} compares them), without the object and the
 * writer's generic walk over it, which cost one scored event about as much as its join. When the registry makes
 * another schema the writer schema (a subject whose latest version is used, {@code use.latest.version}), the
 * generic path writes it.
 */
public final class ScoredEventSerializer implements Serializer<Score> {

    private static final Schema SCHEMA = ScoredEvent.getClassSchema();

    private final AvroSerializer<ScoredEvent> avro;
    private volatile Resolved last;

    /** @param exact whether the registry's writer schema is this build's own, so that the direct encoding applies */
    private record Resolved(String topic, int id, boolean exact) {
    }

    public ScoredEventSerializer(RegistryClient registry) {
        this.avro = new AvroSerializer<>(registry, false);
    }

    @Override
    public byte[] serialize(String topic, Score score) {
        if (score == null) {
            return null;
        }
        Resolved resolved = last;
        if (resolved == null || !Objects.equals(resolved.topic(), topic)) {
            RegistryClient.RegisteredSchema target = avro.resolve(topic, SCHEMA);
            resolved = new Resolved(topic, target.id(), target.schema().equals(SCHEMA));
            last = resolved;
        }
        if (!resolved.exact()) {
            return avro.serialize(topic, ScoredEvents.of(score));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        int id = resolved.id();
        WireFormat.writeHeader(out, id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            write(score, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new SerializationException("cannot write the scored event of " + score.predictionId(), e);
        }
        return out.toByteArray();
    }

    /** The ScoredEvent body: the schema's fields in its order (schemas/ScoredEvent.avsc). */
    static void write(Score s, BinaryEncoder e) throws IOException {
        e.writeString(s.predictionId());
        e.writeString(s.modelId());
        e.writeString(s.modelVersion());
        e.writeEnum(s.retraction() ? 1 : 0); // ScoreKind: SCORE, RETRACTION
        e.writeLong(s.predictionTime());
        e.writeLong(s.labelTime());
        e.writeLong(s.labelTime() - s.predictionTime());
        e.writeEnum(s.lossKind().ordinal()); // the generated enum keeps the schema's symbol order
        e.writeDouble(s.loss());
        e.writeDouble(s.numerator());
        e.writeDouble(s.denominator());
        int classes = s.classIndex().length;
        e.writeArrayStart();
        e.setItemCount(classes);
        for (int i = 0; i < classes; i++) {
            e.startItem();
            e.writeInt(s.classIndex()[i]);
            e.writeString(s.className()[i]);
            e.writeDouble(s.classNumerator()[i]);
            e.writeDouble(s.classDenominator()[i]);
        }
        e.writeArrayEnd();
        e.writeInt(s.predictedClass());
        e.writeDouble(s.confidence());
        if (s.correct() < 0) {
            e.writeIndex(0);
        } else {
            e.writeIndex(1);
            e.writeBoolean(s.correct() == 1);
        }
        e.writeDouble(s.entropy());
        e.writeDouble(s.sampleWeight());
        Map<String, String> segments = s.segments();
        e.writeMapStart();
        e.setItemCount(segments.size());
        for (Map.Entry<String, String> entry : segments.entrySet()) {
            e.startItem();
            e.writeString(entry.getKey());
            e.writeString(entry.getValue());
        }
        e.writeMapEnd();
    }
}
