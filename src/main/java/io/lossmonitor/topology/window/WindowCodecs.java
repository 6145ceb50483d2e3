package io.lossmonitor.topology.window;

import io.lossmonitor.loss.CompensatedSum;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.BinaryReader;
import io.lossmonitor.topology.BinaryWriter;
import io.lossmonitor.topology.score.PredictionSignals;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Serdes of the window topics and stores (internal binary format). */
public final class WindowCodecs {

    private static final LossKind[] LOSSES = LossKind.values();

    private WindowCodecs() {
    }

    public static Serde<WindowContribution> contribution() {
        return serde((w, c) -> w.writeByte(c.lossKind().ordinal()).writeByte(c.sign()).writeDouble(c.numerator())
                .writeDouble(c.denominator()).writeDoubles(c.labels()).writeDouble(c.labelWeight())
                .writeDouble(c.confidence()).writeByte(c.correct()).writeDouble(c.entropy()),
                r -> new WindowContribution(LOSSES[r.readByte()], r.readByte(), r.readDouble(), r.readDouble(),
                        r.readDoubles(), r.readDouble(), r.readDouble(), r.readByte(), r.readDouble()));
    }

    public static Serde<PredictionSignals> signals() {
        return serde((w, s) -> w.writeString(s.modelId()).writeString(s.modelVersion()).writeLong(s.predictionTime())
                .writeInt(s.classes()).writeInt(s.predictedClass()).writeDouble(s.confidence()).writeDouble(s.entropy()),
                r -> new PredictionSignals(r.readString(), r.readString(), r.readLong(), r.readInt(), r.readInt(),
                        r.readDouble(), r.readDouble()));
    }

    /**
     * A window's state: 8-byte counts and 16-byte compensated sums; about 700 bytes plus 8 per class of the
     * label distribution.
     */
    public static Serde<WindowAggregate> aggregate() {
        return serde((w, a) -> {
            w.writeByte(a.lossKind == null ? -1 : a.lossKind.ordinal()).writeLong(a.events).writeLong(a.contributing);
            for (CompensatedSum s : new CompensatedSum[] {a.numerator, a.denominator, a.numeratorSquares,
                    a.denominatorSquares, a.crossProducts, a.labelWeight, a.entropy}) {
                write(w, s);
            }
            w.writeLong(a.judged).writeLong(a.correct).writeDoubles(a.labels);
            for (int b = 0; b < WindowAggregate.BINS; b++) {
                w.writeLong(a.binCount[b]).writeLong(a.binCorrect[b]);
                write(w, a.binConfidence[b]);
            }
        }, r -> {
            WindowAggregate a = new WindowAggregate();
            int kind = r.readByte();
            a.lossKind = kind < 0 ? null : LOSSES[kind];
            a.events = r.readLong();
            a.contributing = r.readLong();
            a.numerator = read(r);
            a.denominator = read(r);
            a.numeratorSquares = read(r);
            a.denominatorSquares = read(r);
            a.crossProducts = read(r);
            a.labelWeight = read(r);
            a.entropy = read(r);
            a.judged = r.readLong();
            a.correct = r.readLong();
            a.labels = r.readDoubles();
            for (int b = 0; b < WindowAggregate.BINS; b++) {
                a.binCount[b] = r.readLong();
                a.binCorrect[b] = r.readLong();
                a.binConfidence[b] = read(r);
            }
            return a;
        });
    }

    public static Serde<PredictionWindowAggregate> predictionAggregate() {
        return serde((w, a) -> {
            w.writeLong(a.count);
            write(w, a.confidence);
            write(w, a.entropy);
            w.writeInt(a.predicted.length);
            for (long n : a.predicted) {
                w.writeLong(n);
            }
        }, r -> {
            PredictionWindowAggregate a = new PredictionWindowAggregate();
            a.count = r.readLong();
            a.confidence = read(r);
            a.entropy = read(r);
            a.predicted = new long[r.readInt()];
            for (int i = 0; i < a.predicted.length; i++) {
                a.predicted[i] = r.readLong();
            }
            return a;
        });
    }

    public static Serde<LossTotal> total() {
        return serde((w, t) -> {
            w.writeByte(t.lossKind == null ? -1 : t.lossKind.ordinal()).writeLong(t.scored).writeLong(t.retracted);
            write(w, t.numerator);
            write(w, t.denominator);
            write(w, t.retractedNumerator);
            write(w, t.retractedDenominator);
        }, r -> {
            LossTotal t = new LossTotal();
            int kind = r.readByte();
            t.lossKind = kind < 0 ? null : LOSSES[kind];
            t.scored = r.readLong();
            t.retracted = r.readLong();
            t.numerator = read(r);
            t.denominator = read(r);
            t.retractedNumerator = read(r);
            t.retractedDenominator = read(r);
            return t;
        });
    }

    public static Serde<LatestWindow<WindowAggregate>> latestWindow() {
        return latest(aggregate());
    }

    public static Serde<LatestWindow<PredictionWindowAggregate>> latestPredictionWindow() {
        return latest(predictionAggregate());
    }

    private static <A> Serde<LatestWindow<A>> latest(Serde<A> inner) {
        return serde((w, l) -> w.writeLong(l.sizeMs()).writeLong(l.startMs())
                        .writeBytes(inner.serializer().serialize(null, l.aggregate())),
                r -> new LatestWindow<>(r.readLong(), r.readLong(), inner.deserializer().deserialize(null, r.readBytes())));
    }

    private static void write(BinaryWriter w, CompensatedSum s) {
        w.writeDouble(s.high()).writeDouble(s.low());
    }

    private static CompensatedSum read(BinaryReader r) {
        return CompensatedSum.of(r.readDouble(), r.readDouble());
    }

    private static <T> Serde<T> serde(BiConsumer<BinaryWriter, T> writer, Function<BinaryReader, T> reader) {
        return Serdes.serdeFrom((topic, value) -> {
            if (value == null) {
                return null;
            }
            BinaryWriter w = new BinaryWriter(256);
            writer.accept(w, value);
            return w.toByteArray();
        }, (topic, bytes) -> bytes == null ? null : reader.apply(new BinaryReader(bytes)));
    }
}
