package io.lossmonitor.topology.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.BinaryWriter;
import io.lossmonitor.topology.score.Score;
import io.lossmonitor.topology.score.Scorer;
import io.lossmonitor.topology.score.ScoringRule;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The join store's encoding of a prediction: the ids left to the key, and the earlier form still read. */
class JoinCodecsTest {

    private static final Serde<StoredPrediction> SERDE = JoinCodecs.storedPrediction();
    private static final String KEY = JoinKeys.of("ranker", "prediction-0042");
    private static final PredictionEvent P = new PredictionEvent("prediction-0042", "ranker", "v7", 1_767_225_600_000L,
            Task.MULTICLASS, OutputKind.LOGITS, new double[] {2.0, -3.0, 0.8, 1.2}, Map.of("region", "eu"));

    private static final LabelEvent LABEL = new LabelEvent("prediction-0042", "ranker", 1_767_225_660_000L, 2, null, 1.0);
    private static final Score SCORE = Scorer.score(
            ScoringRule.compile("ranker", null, Task.MULTICLASS, OutputKind.LOGITS, 4, 1000), P, LABEL);

    private static StoredPrediction roundTrip(StoredPrediction s) {
        return SERDE.deserializer().deserialize("t", SERDE.serializer().serialize("t", s)).withIds(KEY);
    }

    private static boolean contains(byte[] bytes, String text) {
        return new String(bytes, StandardCharsets.ISO_8859_1).contains(text);
    }

    @Test
    void aPendingPredictionIsStoredWithoutItsIdsAndGetsThemBackFromTheKey() {
        StoredPrediction pending = new StoredPrediction(P, 1_767_830_400_000L, null, null);
        byte[] bytes = SERDE.serializer().serialize("t", pending);
        assertThat(contains(bytes, "prediction-0042")).isFalse();
        assertThat(contains(bytes, "ranker")).isFalse();
        StoredPrediction back = roundTrip(pending);
        assertThat(back.prediction()).usingRecursiveComparison().isEqualTo(P);
        assertThat(back.deadlineMs()).isEqualTo(pending.deadlineMs());
        assertThat(back.pending()).isTrue();
    }

    @Test
    void theCompactFormSavesBothIdsAndThreeBytesPerLengthLessItsFormatByte() {
        StoredPrediction pending = new StoredPrediction(P, 0, null, null);
        BinaryWriter full = new BinaryWriter(64);
        JoinCodecs.writePrediction(full, P);
        full.writeLong(0).writeBoolean(false);
        // The ids with their 4-byte lengths; five lengths left (version, scores, segment count, key, value) of one
        // byte instead of four; one format byte more.
        int saved = (4 + "prediction-0042".length()) + (4 + "ranker".length()) + 5 * 3 - 1;
        assertThat(SERDE.serializer().serialize("t", pending)).hasSize(full.toByteArray().length - saved);
    }

    @Test
    void aScoredPredictionKeepsItsLabelAndScore() {
        LabelEvent label = LABEL;
        Score score = SCORE;
        StoredPrediction back = roundTrip(new StoredPrediction(P, 5, label, score));
        assertThat(back.label()).usingRecursiveComparison().isEqualTo(label);
        assertThat(back.score()).usingRecursiveComparison().isEqualTo(score);
        assertThat(back.prediction()).usingRecursiveComparison().isEqualTo(P);
    }

    @Test
    void aScoredPredictionAddsItsLabelAndASlimScoreNotASecondCopyOfItsFields() {
        // 100 classes: the score's label distribution is one-hot, stored as one (index, value) pair.
        double[] scores = new double[100];
        for (int c = 0; c < scores.length; c++) {
            scores[c] = Math.sin(c);
        }
        PredictionEvent p = new PredictionEvent("prediction-0042", "ranker", "v7", 1_767_225_600_000L,
                Task.MULTICLASS, OutputKind.LOGITS, scores, Map.of("region", "eu"));
        LabelEvent label = new LabelEvent("prediction-0042", "ranker", 1_767_225_660_000L, 37, null, 1.0);
        Score score = Scorer.score(ScoringRule.compile("ranker", null, Task.MULTICLASS, OutputKind.LOGITS, 100, 1000),
                p, label);
        int pending = SERDE.serializer().serialize("t", new StoredPrediction(p, 5, null, null)).length;
        byte[] scored = SERDE.serializer().serialize("t", new StoredPrediction(p, 5, label, score));
        // Label: time 8, index 4, null vector 1, weight 8. Score: form 1, loss kind 1, numerator and denominator 16,
        // one class (index 1+4, name 1+1+2, numerator 1+8, denominator 1+8, probability 1+8), predicted class 4,
        // confidence 8, correct 1, entropy 8, distribution (length 2, count 1, index 1, value 8).
        int label_ = 8 + 4 + 1 + 8;
        int slimScore = 1 + 1 + 16 + (1 + 4) + (1 + 1 + 2) + 3 * (1 + 8) + 4 + 8 + 1 + 8 + (2 + 1 + 1 + 8);
        assertThat(scored).hasSize(pending + label_ + slimScore);
        StoredPrediction back = roundTrip(new StoredPrediction(p, 5, label, score));
        assertThat(back.score()).usingRecursiveComparison().isEqualTo(score);
        assertThat(back.label()).usingRecursiveComparison().isEqualTo(label);
    }

    @Test
    void aScoreThatDoesNotMatchItsPredictionIsStoredWhole() {
        LabelEvent label = LABEL;
        Score score = SCORE;
        Score otherVersion = new Score(score.modelId(), "v6", score.predictionId(), score.predictionTime(),
                score.labelTime(), score.lossKind(), false, score.numerator(), score.denominator(), score.classIndex(),
                score.className(), score.classNumerator(), score.classDenominator(), score.classProbability(),
                score.predictedClass(), score.confidence(), score.correct(), score.entropy(), score.sampleWeight(),
                score.labelDistribution(), score.segments());
        StoredPrediction back = roundTrip(new StoredPrediction(P, 5, label, otherVersion));
        assertThat(back.score()).usingRecursiveComparison().isEqualTo(otherVersion);
    }

    @Test
    void theFirstCompactFormWithAWholeScoreIsStillRead() {
        LabelEvent label = LABEL;
        Score score = SCORE;
        BinaryWriter w = new BinaryWriter(64);
        w.writeByte(1).varintLengths();
        w.writeString(P.modelVersion()).writeLong(P.timestampMs()).writeByte(P.task().ordinal())
                .writeByte(P.output().ordinal()).writeDoubles(P.scores()).writeStringMap(P.segments());
        w.writeLong(5).writeBoolean(true);
        w.writeLong(label.timestampMs()).writeInt(label.targetIndex()).writeDoubles(null).writeDouble(label.weight());
        JoinCodecs.writeScore(w, score);
        StoredPrediction back = SERDE.deserializer().deserialize("t", w.toByteArray()).withIds(KEY);
        assertThat(back.score()).usingRecursiveComparison().isEqualTo(score);
        assertThat(back.label()).usingRecursiveComparison().isEqualTo(label);
    }

    @Test
    void sparseArraysRoundTripBitForBitAndDenseOnesStayWhole() {
        double[] oneHot = new double[100];
        oneHot[37] = 0.5;
        double[] odd = {0.0, -0.0, Double.NaN, 0.0, 0.0, 0.0, 0.0, 0.0, 1e-300, 0.0};
        double[] dense = {1, 2, 3, 0, 5};
        BinaryWriter w = new BinaryWriter(16).varintLengths();
        w.writeSparseDoubles(oneHot).writeSparseDoubles(odd).writeSparseDoubles(dense).writeSparseDoubles(new double[0])
                .writeSparseDoubles(null);
        io.lossmonitor.topology.BinaryReader r = new io.lossmonitor.topology.BinaryReader(w.toByteArray()).varintLengths();
        assertThat(r.readSparseDoubles()).containsExactly(oneHot);
        double[] back = r.readSparseDoubles();
        for (int i = 0; i < odd.length; i++) {
            assertThat(Double.doubleToRawLongBits(back[i])).as("entry %d", i).isEqualTo(Double.doubleToRawLongBits(odd[i]));
        }
        assertThat(r.readSparseDoubles()).containsExactly(dense);
        assertThat(r.readSparseDoubles()).isEmpty();
        assertThat(r.readSparseDoubles()).isNull();
        // one-hot: length (2 bytes), count 1, index 37, value 8 = 12; odd: 1 + 1 + 3 * (1 + 8) = 29;
        // dense: 1 + count -1 (1) + 40 = 42; empty: 1 + 1; null: 1.
        assertThat(w.toByteArray()).hasSize(12 + 29 + 42 + 2 + 1);
    }

    @Test
    void varintLengthsRoundTripNullsAndLongValues() {
        BinaryWriter w = new BinaryWriter(16).varintLengths();
        String long300 = "x".repeat(300);
        w.writeString(null).writeString("").writeString(long300).writeDoubles(new double[70]).writeDoubles(null);
        io.lossmonitor.topology.BinaryReader r = new io.lossmonitor.topology.BinaryReader(w.toByteArray()).varintLengths();
        assertThat(r.readString()).isNull();
        assertThat(r.readString()).isEmpty();
        assertThat(r.readString()).isEqualTo(long300);
        assertThat(r.readDoubles()).hasSize(70);
        assertThat(r.readDoubles()).isNull();
        // null, 0, 300 (two bytes), 70 (two: zig-zag 140), null: seven length bytes.
        assertThat(w.toByteArray()).hasSize(7 + 300 + 70 * 8);
    }

    @Test
    void theEarlierFormWithIdsIsStillRead() {
        BinaryWriter earlier = new BinaryWriter(64);
        JoinCodecs.writePrediction(earlier, P);
        earlier.writeLong(99).writeBoolean(false);
        StoredPrediction back = SERDE.deserializer().deserialize("t", earlier.toByteArray());
        assertThat(back.prediction()).usingRecursiveComparison().isEqualTo(P);
        assertThat(back.deadlineMs()).isEqualTo(99);
    }

    @Test
    void joinKeysSplitAtTheFirstSeparator() {
        String key = JoinKeys.of("fraud", "id\u001fwith-separator");
        assertThat(JoinKeys.modelId(key)).isEqualTo("fraud");
        assertThat(JoinKeys.predictionId(key)).isEqualTo("id\u001fwith-separator");
        assertThatThrownBy(() -> JoinKeys.modelId("no-separator")).hasMessageContaining("not a join key");
    }
}
