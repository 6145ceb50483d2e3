package io.lossmonitor.topology.window;

import io.lossmonitor.loss.CompensatedSum;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.BinaryReader;
import io.lossmonitor.topology.BinaryWriter;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Serdes of the window topics and stores (internal binary format). */
public final class WindowCodecs {

    private static final LossKind[] LOSSES = LossKind.values();

    private WindowCodecs() {
    }

    /**
     * A window's state: 8-byte counts and 16-byte compensated sums; about 700 bytes plus 8 per class of the
     * label distribution.
     */
    public static Serde<WindowAggregate> aggregate() {
        return serde(WindowCodecs::writeAggregate, WindowCodecs::readAggregate);
    }

    private static void writeAggregate(BinaryWriter w, WindowAggregate a) {
        writeAggregateHead(w, a);
        for (int b = 0; b < WindowAggregate.BINS; b++) {
            writeBin(w, a, b);
        }
    }

    /** Everything but the confidence bins. */
    private static void writeAggregateHead(BinaryWriter w, WindowAggregate a) {
        writeLossKind(w, a.lossKind).writeLong(a.events).writeLong(a.contributing);
        for (CompensatedSum s : new CompensatedSum[] {a.numerator, a.denominator, a.numeratorSquares,
                a.denominatorSquares, a.crossProducts, a.labelWeight, a.entropy}) {
            write(w, s);
        }
        w.writeLong(a.judged).writeLong(a.correct).writeDoubles(a.labels);
    }

    private static void writeBin(BinaryWriter w, WindowAggregate a, int b) {
        w.writeLong(a.binCount[b]).writeLong(a.binCorrect[b]);
        write(w, a.binConfidence[b]);
    }

    private static void readBin(BinaryReader r, WindowAggregate a, int b) {
        a.binCount[b] = r.readLong();
        a.binCorrect[b] = r.readLong();
        a.binConfidence[b] = read(r);
    }

    private static WindowAggregate readAggregate(BinaryReader r) {
        WindowAggregate a = readAggregateHead(r);
        for (int b = 0; b < WindowAggregate.BINS; b++) {
            readBin(r, a, b);
        }
        return a;
    }

    private static WindowAggregate readAggregateHead(BinaryReader r) {
        WindowAggregate a = new WindowAggregate();
        a.lossKind = readLossKind(r);
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
        return a;
    }

    /**
     * A join task's partial of one window key and granule: the aggregate, then the totals. Written and read on every
     * event in the join task, so the confidence bins go sparse (a mask, then only the bins used): a partial of a
     * few events uses one or two of the fifteen.
     */
    public static Serde<WindowPartial> partial() {
        return serde((w, p) -> {
            WindowAggregate a = p.aggregate();
            int bins = 0;
            for (int b = 0; b < WindowAggregate.BINS; b++) {
                if (a.binCount[b] != 0 || a.binCorrect[b] != 0 || a.binConfidence[b].high() != 0
                        || a.binConfidence[b].low() != 0) {
                    bins |= 1 << b;
                }
            }
            writeAggregateHead(w, a);
            w.writeInt(bins);
            for (int b = 0; b < WindowAggregate.BINS; b++) {
                if ((bins & (1 << b)) != 0) {
                    writeBin(w, a, b);
                }
            }
            writeTotal(w, p.total());
        }, r -> {
            WindowAggregate a = readAggregateHead(r);
            int bins = r.readInt();
            for (int b = 0; b < WindowAggregate.BINS; b++) {
                if ((bins & (1 << b)) != 0) {
                    readBin(r, a, b);
                }
            }
            return new WindowPartial(a, readTotal(r));
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
        return serde(WindowCodecs::writeTotal, WindowCodecs::readTotal);
    }

    private static void writeTotal(BinaryWriter w, LossTotal t) {
        writeLossKind(w, t.lossKind).writeLong(t.scored).writeLong(t.retracted);
        write(w, t.numerator);
        write(w, t.denominator);
        write(w, t.retractedNumerator);
        write(w, t.retractedDenominator);
    }

    private static LossTotal readTotal(BinaryReader r) {
        LossTotal t = new LossTotal();
        t.lossKind = readLossKind(r);
        t.scored = r.readLong();
        t.retracted = r.readLong();
        t.numerator = read(r);
        t.denominator = read(r);
        t.retractedNumerator = read(r);
        t.retractedDenominator = read(r);
        return t;
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

    private static BinaryWriter writeLossKind(BinaryWriter w, LossKind kind) {
        return w.writeByte(kind == null ? -1 : kind.ordinal());
    }

    private static LossKind readLossKind(BinaryReader r) {
        int kind = r.readByte();
        return kind < 0 ? null : LOSSES[kind];
    }

    private static void write(BinaryWriter w, CompensatedSum s) {
        w.writeDouble(s.high()).writeDouble(s.low());
    }

    private static CompensatedSum read(BinaryReader r) {
        return CompensatedSum.of(r.readDouble(), r.readDouble());
    }

    private static <T> Serde<T> serde(BiConsumer<BinaryWriter, T> writer, Function<BinaryReader, T> reader) {
        return Serdes.serdeFrom(BinaryWriter.serializer(writer),
                (topic, bytes) -> bytes == null ? null : reader.apply(new BinaryReader(bytes)));
    }
}
