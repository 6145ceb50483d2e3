package io.lossmonitor.topology.join;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.BinaryReader;
import io.lossmonitor.topology.BinaryWriter;
import io.lossmonitor.topology.join.JoinInput.LabelInput;
import io.lossmonitor.topology.join.JoinInput.PredictionInput;
import io.lossmonitor.topology.score.Score;
import java.util.Objects;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** Serdes of the join's internal topic and stores (internal binary format, see {@link BinaryWriter}). */
public final class JoinCodecs {

    private static final int PREDICTION = 1;
    private static final int LABEL = 2;
    private static final Task[] TASKS = Task.values();
    private static final OutputKind[] OUTPUTS = OutputKind.values();
    private static final LossKind[] LOSSES = LossKind.values();

    private JoinCodecs() {
    }

    /** The internal encoding of a prediction alone (what the join stores per pending prediction, less its label). */
    public static byte[] encode(PredictionEvent p) {
        BinaryWriter w = new BinaryWriter(128);
        writePrediction(w, p);
        return w.toByteArray();
    }

    public static Serde<JoinInput> joinInput() {
        return serde(JoinCodecs::writeInput, JoinCodecs::readInput);
    }

    /**
     * First byte of the compact stored forms. The earliest form starts with the prediction id's 4-byte length, whose
     * first byte is 0 (or -1 for null), so a reader tells them apart. Form 1 stores a score whole; form 2 (written
     * now) stores it without what the prediction and label beside it already hold.
     */
    private static final byte COMPACT_STORED_PREDICTION = 1;
    private static final byte COMPACT_STORED_PREDICTION_SLIM_SCORE = 2;
    private static final byte SCORE_WHOLE = 0;
    private static final byte SCORE_SLIM = 1;

    /**
     * A stored prediction without its model and prediction ids (the store's key holds them, and
     * {@link StoredPrediction#withIds} puts them back) and with varint lengths. Each pending prediction so holds its
     * payload plus its key once in the store and once in the expiry index. A scored one adds its label and its score
     * less the ids, version, times, weight and segments (those of its prediction and label), with the label
     * distribution sparse (one-hot for a class-index target: 100 classes took 800 bytes, now about 10).
     */
    public static Serde<StoredPrediction> storedPrediction() {
        return serde((w, s) -> {
            PredictionEvent p = s.prediction();
            w.writeByte(COMPACT_STORED_PREDICTION_SLIM_SCORE).varintLengths();
            w.writeString(p.modelVersion()).writeLong(p.timestampMs()).writeByte(p.task().ordinal())
                    .writeByte(p.output().ordinal()).writeDoubles(p.scores()).writeStringMap(p.segments());
            w.writeLong(s.deadlineMs());
            w.writeBoolean(s.label() != null);
            if (s.label() != null) {
                writeLabelAndScore(w, s);
            }
        }, r -> {
            int form = r.peekByte();
            if (form != COMPACT_STORED_PREDICTION && form != COMPACT_STORED_PREDICTION_SLIM_SCORE) {
                return readFullStoredPrediction(r);
            }
            r.readByte();
            r.varintLengths();
            PredictionEvent p = new PredictionEvent(null, null, r.readString(), r.readLong(), TASKS[r.readByte()],
                    OUTPUTS[r.readByte()], r.readDoubles(), r.readStringMap());
            long deadline = r.readLong();
            if (!r.readBoolean()) {
                return new StoredPrediction(p, deadline, null, null);
            }
            LabelEvent label = new LabelEvent(null, null, r.readLong(), r.readInt(), r.readDoubles(), r.readDouble());
            Score score = form == COMPACT_STORED_PREDICTION || r.readByte() == SCORE_WHOLE
                    ? readScore(r) : readSlimScore(r, p, label);
            return new StoredPrediction(p, deadline, label, score);
        });
    }

    private static final byte APPLIED_LABEL = 1;

    private static final Serializer<StoredPrediction> APPLIED = BinaryWriter.serializer((w, s) -> {
        w.writeByte(APPLIED_LABEL).varintLengths();
        writeLabelAndScore(w, s);
    });

    /** A scored prediction's label and score, the score slim when its prediction and label hold the rest. */
    private static void writeLabelAndScore(BinaryWriter w, StoredPrediction s) {
        LabelEvent l = s.label();
        w.writeLong(l.timestampMs()).writeInt(l.targetIndex()).writeDoubles(l.targetVector()).writeDouble(l.weight());
        if (slimmable(s.score(), s.prediction(), l)) {
            w.writeByte(SCORE_SLIM);
            writeSlimScore(w, s.score());
        } else {
            w.writeByte(SCORE_WHOLE);
            writeScore(w, s.score());
        }
    }

    /**
     * What a label applied to its prediction adds to it, for the join's applied-labels store: the label, and the
     * score it produced, slim as in {@link #storedPrediction()}. It is kept beside the prediction so that applying a
     * label writes this, about a tenth of the prediction at 100 scores, instead of the prediction again. Read back
     * with the prediction it belongs to ({@link #withApplied}).
     */
    public static byte[] encodeApplied(StoredPrediction scored) {
        return APPLIED.serialize(null, scored);
    }

    /** {@code stored} (with its ids) with the label and score that {@link #encodeApplied} wrote for it. */
    public static StoredPrediction withApplied(StoredPrediction stored, byte[] applied) {
        BinaryReader r = new BinaryReader(applied);
        int form = r.readByte();
        if (form != APPLIED_LABEL) {
            throw new IllegalStateException("unknown applied-label form " + form);
        }
        r.varintLengths();
        PredictionEvent p = stored.prediction();
        LabelEvent label = new LabelEvent(p.predictionId(), p.modelId(), r.readLong(), r.readInt(), r.readDoubles(),
                r.readDouble());
        Score score = r.readByte() == SCORE_WHOLE ? readScore(r) : readSlimScore(r, p, label);
        return new StoredPrediction(p, stored.deadlineMs(), label, score);
    }

    /** Whether the score's own copies of the prediction's and label's fields are theirs (always, as the join scores). */
    private static boolean slimmable(Score s, PredictionEvent p, LabelEvent l) {
        return !s.retraction() && Objects.equals(s.modelId(), p.modelId())
                && Objects.equals(s.predictionId(), p.predictionId()) && Objects.equals(s.modelVersion(), p.modelVersion())
                && s.predictionTime() == p.timestampMs() && s.labelTime() == l.timestampMs()
                && Double.doubleToLongBits(s.sampleWeight()) == Double.doubleToLongBits(l.weight())
                && Objects.equals(s.segments(), p.segments());
    }

    private static void writeSlimScore(BinaryWriter w, Score s) {
        w.writeByte(s.lossKind().ordinal()).writeDouble(s.numerator()).writeDouble(s.denominator())
                .writeInts(s.classIndex()).writeStrings(s.className()).writeDoubles(s.classNumerator())
                .writeDoubles(s.classDenominator()).writeDoubles(s.classProbability()).writeInt(s.predictedClass())
                .writeDouble(s.confidence()).writeByte(s.correct()).writeDouble(s.entropy())
                .writeSparseDoubles(s.labelDistribution());
    }

    /** A slim score, with the ids of its prediction (null until {@link StoredPrediction#withIds}). */
    private static Score readSlimScore(BinaryReader r, PredictionEvent p, LabelEvent l) {
        return new Score(p.modelId(), p.modelVersion(), p.predictionId(), p.timestampMs(), l.timestampMs(),
                LOSSES[r.readByte()], false, r.readDouble(), r.readDouble(), r.readInts(), r.readStrings(),
                r.readDoubles(), r.readDoubles(), r.readDoubles(), r.readInt(), r.readDouble(), r.readByte(),
                r.readDouble(), l.weight(), r.readSparseDoubles(), p.segments());
    }

    /** The form 0.1.0 wrote first, with the ids: such state is still read after an upgrade. */
    private static StoredPrediction readFullStoredPrediction(BinaryReader r) {
        PredictionEvent p = readPrediction(r);
        long deadline = r.readLong();
        if (!r.readBoolean()) {
            return new StoredPrediction(p, deadline, null, null);
        }
        return new StoredPrediction(p, deadline, readLabel(r), readScore(r));
    }

    public static Serde<EarlyLabel> earlyLabel() {
        return serde((w, e) -> {
            writeLabelInput(w, e.label());
            w.writeLong(e.deadlineMs());
        }, r -> new EarlyLabel(readLabelInput(r), r.readLong()));
    }

    public static Serde<Score> score() {
        return serde(JoinCodecs::writeScore, JoinCodecs::readScore);
    }

    private static void writeInput(BinaryWriter w, JoinInput input) {
        switch (input) {
            case PredictionInput p -> {
                w.writeByte(PREDICTION);
                writePrediction(w, p.prediction());
            }
            case LabelInput l -> {
                w.writeByte(LABEL);
                writeLabelInput(w, l);
            }
        }
    }

    private static JoinInput readInput(BinaryReader r) {
        int tag = r.readByte();
        return switch (tag) {
            case PREDICTION -> new PredictionInput(readPrediction(r));
            case LABEL -> readLabelInput(r);
            default -> throw new IllegalStateException("unknown join input tag " + tag);
        };
    }

    static void writePrediction(BinaryWriter w, PredictionEvent p) {
        w.writeString(p.predictionId()).writeString(p.modelId()).writeString(p.modelVersion())
                .writeLong(p.timestampMs()).writeByte(p.task().ordinal()).writeByte(p.output().ordinal())
                .writeDoubles(p.scores()).writeStringMap(p.segments());
    }

    static PredictionEvent readPrediction(BinaryReader r) {
        return new PredictionEvent(r.readString(), r.readString(), r.readString(), r.readLong(), TASKS[r.readByte()],
                OUTPUTS[r.readByte()], r.readDoubles(), r.readStringMap());
    }

    static void writeLabel(BinaryWriter w, LabelEvent l) {
        w.writeString(l.predictionId()).writeString(l.modelId()).writeLong(l.timestampMs())
                .writeInt(l.targetIndex()).writeDoubles(l.targetVector()).writeDouble(l.weight());
    }

    static LabelEvent readLabel(BinaryReader r) {
        return new LabelEvent(r.readString(), r.readString(), r.readLong(), r.readInt(), r.readDoubles(), r.readDouble());
    }

    private static void writeLabelInput(BinaryWriter w, LabelInput l) {
        writeLabel(w, l.label());
        w.writeBytes(l.rawKey()).writeBytes(l.rawValue()).writeString(l.sourceTopic()).writeInt(l.sourcePartition())
                .writeLong(l.sourceOffset());
    }

    private static LabelInput readLabelInput(BinaryReader r) {
        return new LabelInput(readLabel(r), r.readBytes(), r.readBytes(), r.readString(), r.readInt(), r.readLong());
    }

    static void writeScore(BinaryWriter w, Score s) {
        w.writeString(s.modelId()).writeString(s.modelVersion()).writeString(s.predictionId())
                .writeLong(s.predictionTime()).writeLong(s.labelTime()).writeByte(s.lossKind().ordinal())
                .writeBoolean(s.retraction()).writeDouble(s.numerator()).writeDouble(s.denominator())
                .writeInts(s.classIndex()).writeStrings(s.className()).writeDoubles(s.classNumerator())
                .writeDoubles(s.classDenominator()).writeDoubles(s.classProbability()).writeInt(s.predictedClass()).writeDouble(s.confidence())
                .writeByte(s.correct()).writeDouble(s.entropy()).writeDouble(s.sampleWeight())
                .writeDoubles(s.labelDistribution()).writeStringMap(s.segments());
    }

    static Score readScore(BinaryReader r) {
        return new Score(r.readString(), r.readString(), r.readString(), r.readLong(), r.readLong(),
                LOSSES[r.readByte()], r.readBoolean(), r.readDouble(), r.readDouble(), r.readInts(), r.readStrings(),
                r.readDoubles(), r.readDoubles(), r.readDoubles(), r.readInt(), r.readDouble(), r.readByte(),
                r.readDouble(), r.readDouble(), r.readDoubles(), r.readStringMap());
    }

    @FunctionalInterface
    private interface Writer<T> {
        void write(BinaryWriter w, T value);
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(BinaryReader r);
    }

    private static <T> Serde<T> serde(Writer<T> writer, Reader<T> reader) {
        Serializer<T> serializer = BinaryWriter.serializer(writer::write);
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : reader.read(new BinaryReader(bytes));
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
