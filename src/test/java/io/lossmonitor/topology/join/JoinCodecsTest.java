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
        LabelEvent label = new LabelEvent("prediction-0042", "ranker", 1_767_225_660_000L, 2, null, 1.0);
        ScoringRule rule = ScoringRule.compile("ranker", null, Task.MULTICLASS, OutputKind.LOGITS, 4, 1000);
        Score score = Scorer.score(rule, P, label);
        StoredPrediction back = roundTrip(new StoredPrediction(P, 5, label, score));
        assertThat(back.label()).usingRecursiveComparison().isEqualTo(label);
        assertThat(back.score()).usingRecursiveComparison().isEqualTo(score);
        assertThat(back.prediction()).usingRecursiveComparison().isEqualTo(P);
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
