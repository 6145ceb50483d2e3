package io.lossmonitor.topology;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.ScoreKind;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The join, driven with explicit event and arrival times. Expected losses are the golden seed values
 * (golden-public.jsonl) or derived by hand, never taken from the topology.
 */
class LabelJoinTopologyTest {

    // seed-ce-none: logits [[2,-3,0.8,1.2],[1.5,-0.1,0.9,-1.3]], targets [2,1].
    private static final double[] ROW_A = {2.0, -3.0, 0.8, 1.2};
    private static final double[] ROW_B = {1.5, -0.1, 0.9, -1.3};
    private static final double CE_A2 = 1.763756416846708;
    private static final double CE_B1 = 2.194165287451425;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;

    private TopologyHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new TopologyHarness(config());
    }

    /** The configuration every test here runs with; {@link KeyedInputsJoinTopologyTest} reruns them all with another. */
    TopologyConfig config() {
        return TopologyConfig.defaults().withEarlyLabelTtl(Duration.ofHours(1));
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private static void assertLoss(double actual, double expected) {
        assertThat(actual).isCloseTo(expected, within(1e-9 * Math.abs(expected) + 3.55e-15));
    }

    private long count(String stream, String model, String outcome) {
        return h.count(stream, model, outcome);
    }

    @Test
    void scoresALabelThatComesDaysLate() {
        h.pipe(prediction("ranker", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "p1", T0 + 3 * DAY, 2));
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).hasSize(1);
        ScoredEvent e = scored.get(0);
        assertThat(e.getKind()).isEqualTo(ScoreKind.SCORE);
        assertThat(e.getLossKind()).isEqualTo(LossKind.CROSS_ENTROPY);
        assertLoss(e.getLoss(), CE_A2);
        assertLoss(e.getNumerator(), CE_A2);
        assertThat(e.getDenominator()).isEqualTo(1.0);
        assertThat(e.getLabelDelayMs()).isEqualTo(3 * DAY);
        assertThat(e.getClasses()).singleElement().satisfies(c -> {
            assertThat(c.getClassIndex()).isEqualTo(2);
            assertThat(c.getClassName()).isEqualTo("2");
        });
        // argmax of ROW_A is class 0 (logit 2.0): a wrong top-1 prediction.
        assertThat(e.getPredictedClass()).isZero();
        assertThat(e.getCorrect()).isFalse();
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.SCORED)).isEqualTo(1);
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.PENDING)).isZero();
        assertThat(count(Accounting.LABELS, "ranker", Accounting.JOINED)).isEqualTo(1);
    }

    @Test
    void holdsALabelThatComesBeforeItsPrediction() {
        h.pipe(label("ranker", "p1", T0 + 1000, 1), T0 + 1000);
        assertThat(h.scored()).isEmpty();
        assertThat(count(Accounting.LABELS, "ranker", Accounting.EARLY_PENDING)).isEqualTo(1);
        h.pipe(prediction("ranker", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_B), T0 + 5000);
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).hasSize(1);
        assertLoss(scored.get(0).getLoss(), CE_B1);
        assertThat(scored.get(0).getLabelDelayMs()).isEqualTo(1000);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.EARLY)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.EARLY_PENDING)).isZero();
        assertThat(count(Accounting.LABELS, "ranker", Accounting.JOINED)).isEqualTo(1);
    }

    @Test
    void ignoresDuplicatePredictionsAndDuplicateLabels() {
        var p = prediction("ranker", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A);
        h.pipe(p);
        h.pipe(p, T0 + 10);
        var l = label("ranker", "p1", T0 + HOUR, 2);
        h.pipe(l);
        h.pipe(l, T0 + HOUR + 10);
        assertThat(h.scored()).hasSize(1);
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.DUPLICATE)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.DUPLICATE)).isEqualTo(1);
    }

    @Test
    void aCorrectionRetractsTheOldScoreAndAppliesTheNew() {
        h.pipe(prediction("ranker", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "p1", T0 + HOUR, 2));
        h.pipe(label("ranker", "p1", T0 + 2 * HOUR, 1));
        // An older label arriving after the correction changes nothing.
        h.pipe(label("ranker", "p1", T0 + 90 * 60_000L, 3), T0 + 3 * HOUR);
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).extracting(ScoredEvent::getKind)
                .containsExactly(ScoreKind.SCORE, ScoreKind.RETRACTION, ScoreKind.SCORE);
        assertLoss(scored.get(1).getNumerator(), CE_A2);
        assertThat(scored.get(1).getDenominator()).isEqualTo(scored.get(0).getDenominator());
        // By hand: -log softmax(ROW_A)[1] = log(sum exp) - (-3).
        double expected = Math.log(Math.exp(2.0) + Math.exp(-3.0) + Math.exp(0.8) + Math.exp(1.2)) + 3.0;
        assertLoss(scored.get(2).getLoss(), expected);
        // Summing SCOREs minus RETRACTIONs leaves exactly the corrected contribution.
        double net = 0;
        for (ScoredEvent e : scored) {
            net += e.getKind() == ScoreKind.SCORE ? e.getNumerator() : -e.getNumerator();
        }
        assertLoss(net, expected);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.CORRECTED)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.DUPLICATE)).isEqualTo(1);
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.SCORED)).isEqualTo(1);
    }

    @Test
    void expiresAnUnlabelledPredictionAndSendsItsLabelToLateLabels() {
        h.pipe(prediction("ranker", "v1", "old", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.PENDING)).isEqualTo(1);
        // Another model's traffic moves stream time past old's deadline (7 days).
        h.pipe(prediction("clock", "v1", "c1", T0 + 7 * DAY + 60_000, Task.BINARY, OutputKind.LOGITS, 0.0));
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.EXPIRED)).isEqualTo(1);
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.PENDING)).isZero();
        assertThat(h.driver.getKeyValueStore(Names.PREDICTIONS_STORE).get(
                io.lossmonitor.topology.join.JoinKeys.of("ranker", "old"))).isNull();

        // Its label, within 7 days by its own clock, comes after the expiry: it waits, then is an orphan.
        h.pipe(label("ranker", "old", T0 + 6 * DAY, 2), T0 + 7 * DAY + 70_000);
        assertThat(h.late()).isEmpty();
        h.pipe(prediction("clock", "v1", "c2", T0 + 7 * DAY + 2 * HOUR, Task.BINARY, OutputKind.LOGITS, 0.0));
        List<TestRecord<byte[], byte[]>> late = h.late();
        assertThat(late).hasSize(1);
        assertThat(TopologyHarness.header(late.get(0).headers(), Names.HEADER_REASON)).isEqualTo("orphan");
        assertThat(late.get(0).value()).isEqualTo(h.serialize(label("ranker", "old", T0 + 6 * DAY, 2)));
        assertThat(h.scored()).isEmpty();
        assertThat(count(Accounting.LABELS, "ranker", Accounting.LATE)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.EARLY_PENDING)).isZero();
    }

    @Test
    void aLabelLaterThanTheMaxDelayEndsInLateLabels() {
        h.pipe(prediction("ranker", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "p1", T0 + 8 * DAY, 2));
        // The driver runs the whole topology as one task, so the label's own arrival sweeps the prediction away
        // first and the label waits as an orphan; a deployed join task sees it as too-late at once
        // (LabelJoinProcessorTest). Either way it ends in late-labels, unscored, with its source position.
        h.pipe(prediction("clock", "v1", "c", T0 + 8 * DAY + 2 * HOUR, Task.BINARY, OutputKind.LOGITS, 0.0));
        List<TestRecord<byte[], byte[]>> late = h.late();
        assertThat(late).hasSize(1);
        assertThat(TopologyHarness.header(late.get(0).headers(), Names.HEADER_SOURCE_TOPIC))
                .isEqualTo(h.config.labelsTopic());
        assertThat(TopologyHarness.header(late.get(0).headers(), Names.HEADER_SOURCE_OFFSET)).isEqualTo("0");
        assertThat(h.scored()).isEmpty();
        assertThat(count(Accounting.PREDICTIONS, "ranker", Accounting.EXPIRED)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, "ranker", Accounting.LATE)).isEqualTo(1);
    }

    @Test
    void outOfOrderEventsAreEachScoredOnce() {
        // Predictions arrive newest first; labels in yet another order.
        for (int i = 9; i >= 0; i--) {
            h.pipe(prediction("ranker", "v1", "p" + i, T0 + i * 1000L, Task.MULTICLASS, OutputKind.LOGITS,
                    i % 2 == 0 ? ROW_A : ROW_B), T0 + 20_000 - i);
        }
        int[] order = {3, 7, 1, 9, 5, 0, 8, 2, 6, 4};
        for (int i : order) {
            h.pipe(label("ranker", "p" + i, T0 + 30_000 + i, i % 2 == 0 ? 2 : 1), T0 + 30_000 + i);
        }
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).hasSize(10);
        assertThat(scored).extracting(ScoredEvent::getPredictionId).doesNotHaveDuplicates();
        for (ScoredEvent e : scored) {
            int i = Integer.parseInt(e.getPredictionId().substring(1));
            assertLoss(e.getLoss(), i % 2 == 0 ? CE_A2 : CE_B1);
            assertThat(e.getPredictionTime().toEpochMilli()).isEqualTo(T0 + i * 1000L);
        }
    }

    @Test
    void scoresEveryTaskAndKeepsModelsAndVersionsApart() {
        h.pipe(prediction("fraud", "v1", "a", T0, Task.BINARY, OutputKind.LOGITS, 2.0));
        h.pipe(prediction("ranker", "v2", "a", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_B));
        h.pipe(prediction("tagger", "v1", "a", T0, Task.MULTILABEL, OutputKind.LOGITS, ROW_A));
        h.pipe(prediction("probs", "v1", "a", T0, Task.MULTILABEL, OutputKind.PROBABILITIES, 0.8, 0.1, 1.0));
        h.pipe(label("fraud", "a", T0 + 10, 0));
        h.pipe(label("ranker", "a", T0 + 10, 1));
        h.pipe(label("tagger", "a", T0 + 10, List.of(0.0, 0.0, 1.0, 0.0)));
        h.pipe(label("probs", "a", T0 + 10, List.of(1.0, 0.0, 1.0)));
        Map<String, ScoredEvent> byModel = new java.util.HashMap<>();
        h.scored().forEach(e -> byModel.put(e.getModelId(), e));
        assertThat(byModel).hasSize(4);

        // seed-bcel-none, element [0][0]: x=2, t=0.
        ScoredEvent fraud = byModel.get("fraud");
        assertThat(fraud.getLossKind()).isEqualTo(LossKind.BINARY_CROSS_ENTROPY_WITH_LOGITS);
        assertLoss(fraud.getLoss(), 2.1269280110429727);
        assertThat(fraud.getPredictedClass()).isEqualTo(1);
        assertThat(fraud.getCorrect()).isFalse();

        ScoredEvent ranker = byModel.get("ranker");
        assertThat(ranker.getModelVersion()).isEqualTo("v2");
        assertLoss(ranker.getLoss(), CE_B1);

        // seed-bcel-none row 0 with targets [0,0,1,0]: the mean of its four elements; one contribution per label.
        ScoredEvent tagger = byModel.get("tagger");
        double[] elements = {2.1269280110429727, 0.04858735157374206, 0.3711006659477777, 1.4632824673380311};
        assertLoss(tagger.getNumerator(), elements[0] + elements[1] + elements[2] + elements[3]);
        assertThat(tagger.getDenominator()).isEqualTo(4.0);
        assertThat(tagger.getClasses()).hasSize(4);
        for (int c = 0; c < 4; c++) {
            assertLoss(tagger.getClasses().get(c).getNumerator(), elements[c]);
            assertThat(tagger.getClasses().get(c).getDenominator()).isEqualTo(1.0);
        }

        // BCE on probabilities: -log(0.8) - log(1 - 0.1) + 0, over 3 elements (seed-bce values).
        ScoredEvent probs = byModel.get("probs");
        assertThat(probs.getLossKind()).isEqualTo(LossKind.BINARY_CROSS_ENTROPY);
        assertLoss(probs.getLoss(), (0.2231435513142097 + 0.10536051565782631) / 3);
        assertThat(probs.getCorrect()).isTrue();
    }

    @Test
    void aSpecFromTheModelsTopicAppliesToEventsScoredAfterIt() {
        h.pipe(prediction("ranker", "v1", "before", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "before", T0 + 10, 2));
        h.pipe(ModelSpec.newBuilder().setModelId("ranker").setClassNames(List.of("a", "b", "c", "d"))
                .setClassWeights(List.of(1.0, 2.0, 0.5, 1.0)).setIgnoreIndex(3).build());
        h.pipe(prediction("ranker", "v1", "after", T0 + 20, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "after", T0 + 30, 2));
        h.pipe(prediction("ranker", "v1", "ignored", T0 + 40, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("ranker", "ignored", T0 + 50, 3));
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).hasSize(3);
        assertThat(scored.get(0).getDenominator()).isEqualTo(1.0);
        // weight[2] = 0.5: numerator 0.5·l, denominator 0.5; the event's own mean is still l.
        assertLoss(scored.get(1).getNumerator(), 0.5 * CE_A2);
        assertThat(scored.get(1).getDenominator()).isEqualTo(0.5);
        assertLoss(scored.get(1).getLoss(), CE_A2);
        assertThat(scored.get(1).getClasses().get(0).getClassName()).isEqualTo("c");
        // ignore_index 3: contributes nothing, its mean is NaN, correctness undefined.
        assertThat(scored.get(2).getNumerator()).isZero();
        assertThat(scored.get(2).getDenominator()).isZero();
        assertThat(scored.get(2).getLoss()).isNaN();
        assertThat(scored.get(2).getCorrect()).isNull();
        assertThat(scored.get(2).getClasses()).isEmpty();
    }

    @Test
    void aSpecsMaxLabelDelayOverridesTheDefault() {
        h.pipe(ModelSpec.newBuilder().setModelId("fast").setMaxLabelDelayMs(HOUR).build());
        h.pipe(prediction("fast", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(prediction("slow", "v1", "p1", T0, Task.MULTICLASS, OutputKind.LOGITS, ROW_A));
        h.pipe(label("slow", "p1", T0 + 2 * HOUR, 2));
        h.pipe(label("fast", "p1", T0 + 2 * HOUR, 2));
        // 'slow' keeps the 7-day default and joins; 'fast' expired at T0 + 1 h.
        assertThat(h.scored()).extracting(ScoredEvent::getModelId).containsExactly("slow");
        assertThat(count(Accounting.PREDICTIONS, "fast", Accounting.EXPIRED)).isEqualTo(1);
        assertThat(count(Accounting.PREDICTIONS, "fast", Accounting.SCORED)).isZero();
    }
}
