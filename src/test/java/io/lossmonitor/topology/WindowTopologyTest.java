package io.lossmonitor.topology;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.window.PredictionWindowAggregate;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Windows on prediction time, each derived value checked against a hand derivation. */
class WindowTopologyTest {

    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);
    private static final long MINUTE = 60_000L;
    private static final long DAY = 86_400_000L;

    private TopologyHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new TopologyHarness(TopologyConfig.defaults());
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private WindowAggregate window(String store, WindowKey key, long start) {
        h.flushWindows();
        WindowStore<String, ValueAndTimestamp<WindowAggregate>> windows = h.driver.getTimestampedWindowStore(store);
        ValueAndTimestamp<WindowAggregate> v = windows.fetch(key.encode(), start);
        return v == null ? null : v.value();
    }

    private WindowAggregate minute(WindowKey key, long start) {
        return window(Names.lossWindowStore(Duration.ofMinutes(1)), key, start);
    }

    /**
     * Four 3-class events in one minute. Logits [0,0,0] give p = 1/3 each; [ln 2, 0, 0] give [1/2, 1/4, 1/4];
     * [0, ln 3, 0] give [1/5, 3/5, 1/5]. Losses: ln 3 (y=0), ln 2 (y=0), ln 4 (y=1), ln(5/3) (y=1).
     */
    private void pipeFourEvents() {
        double[][] logits = {{0, 0, 0}, {LN2, 0, 0}, {LN2, 0, 0}, {0, LN3, 0}};
        int[] targets = {0, 0, 1, 1};
        for (int i = 0; i < 4; i++) {
            h.pipe(prediction("m", "v1", "e" + i, T0 + i * 1000L, Task.MULTICLASS, OutputKind.LOGITS, logits[i]));
            h.pipe(label("m", "e" + i, T0 + 30_000 + i, targets[i]));
        }
    }

    @Test
    void derivedValuesOfAModelWindow() {
        pipeFourEvents();
        WindowAggregate w = minute(WindowKey.all("m", "v1"), T0);
        double[] losses = {LN3, LN2, 2 * LN2, Math.log(5.0 / 3)};
        double mean = (losses[0] + losses[1] + losses[2] + losses[3]) / 4;
        double ss = 0;
        for (double l : losses) {
            ss += (l - mean) * (l - mean);
        }
        assertThat(w.events()).isEqualTo(4);
        assertThat(w.mean()).isCloseTo(mean, within(1e-15));
        // Unit denominators: the sample standard deviation over the square root of the count.
        assertThat(w.standardError()).isCloseTo(Math.sqrt(ss / 3) / 2, within(1e-14));
        // Top-1: e0 -> class 0 (ties go to the first), e1 -> 0, e2 -> 0 (wrong), e3 -> 1.
        assertThat(w.accuracy()).isEqualTo(0.75);
        // Confidences 1/3, 1/2, 1/2, 3/5 in bins 5 (or 4), 7, 7, 9 (or 8):
        // (|1 - 1/3| + |1 - (1/2 + 1/2)| + |1 - 3/5|) / 4.
        assertThat(w.ece()).isCloseTo((2.0 / 3 + 0 + 0.4) / 4, within(1e-15));
        // Labels: two of class 0, two of class 1: the constant predictor's loss is ln 2.
        assertThat(w.baselineLoss()).isCloseTo(LN2, within(1e-15));
        assertThat(w.normalizedEntropy()).isCloseTo(mean / LN2, within(1e-14));
        double h1 = 1.5 * LN2;
        double h3 = -(0.4 * Math.log(0.2) + 0.6 * Math.log(0.6));
        assertThat(w.entropyMean()).isCloseTo((LN3 + 2 * h1 + h3) / 4, within(1e-15));
    }

    @Test
    void classWindowsSplitTheEventsByTargetClass() {
        pipeFourEvents();
        WindowAggregate c0 = minute(new WindowKey("m", "v1", "0"), T0);
        WindowAggregate c1 = minute(new WindowKey("m", "v1", "1"), T0);
        assertThat(c0.mean()).isCloseTo((LN3 + LN2) / 2, within(1e-15));
        assertThat(c0.accuracy()).isEqualTo(1.0);
        assertThat(c1.mean()).isCloseTo((2 * LN2 + Math.log(5.0 / 3)) / 2, within(1e-15));
        assertThat(c1.accuracy()).isEqualTo(0.5);
        // A cross-entropy class window has no constant-prior baseline of its own.
        assertThat(c0.baselineLoss()).isNaN();
        assertThat(minute(new WindowKey("m", "v1", "2"), T0)).isNull();
    }

    @Test
    void everyUpdateReachesTheLossWindowsTopic() {
        pipeFourEvents();
        h.flushWindows();
        var topic = h.driver.createOutputTopic(h.config.lossWindowsTopic(), new StringDeserializer(),
                new AvroDeserializer<>(h.registry, AvroDeserializer.specificReader(LossWindow.class)));
        List<LossWindow> updates = topic.readValuesToList();
        LossWindow last = updates.stream().filter(u -> u.getClassName() == null && u.getWindowSizeMs() == MINUTE)
                .reduce((a, b) -> b).orElseThrow();
        assertThat(last.getEventCount()).isEqualTo(4);
        assertThat(last.getWindowStart()).isEqualTo(Instant.ofEpochMilli(T0));
        assertThat(last.getWindowEnd()).isEqualTo(Instant.ofEpochMilli(T0 + MINUTE));
        assertThat(last.getAccuracy()).isEqualTo(0.75);
        assertThat(last.getBaselineLoss()).isCloseTo(LN2, within(1e-15));
        assertThat(last.getLabelDistribution()).containsExactly(2.0, 2.0, 0.0);
        assertThat(updates).anyMatch(u -> u.getWindowSizeMs() == 3_600_000L)
                .anyMatch(u -> u.getWindowSizeMs() == DAY).anyMatch(u -> "1".equals(u.getClassName()));
    }

    @Test
    void windowBoundariesAndSeveralSizes() {
        h.pipe(prediction("m", "v1", "a", T0 + MINUTE - 1, Task.MULTICLASS, OutputKind.LOGITS, 0, 0, 0));
        h.pipe(prediction("m", "v1", "b", T0 + MINUTE, Task.MULTICLASS, OutputKind.LOGITS, LN2, 0, 0));
        h.pipe(label("m", "a", T0 + 2 * MINUTE, 0));
        h.pipe(label("m", "b", T0 + 2 * MINUTE, 0));
        WindowKey all = WindowKey.all("m", "v1");
        assertThat(minute(all, T0).mean()).isCloseTo(LN3, within(1e-15));
        assertThat(minute(all, T0 + MINUTE).mean()).isCloseTo(LN2, within(1e-15));
        WindowAggregate hour = window(Names.lossWindowStore(Duration.ofHours(1)), all, T0);
        WindowAggregate day = window(Names.lossWindowStore(Duration.ofDays(1)), all, T0);
        assertThat(hour.events()).isEqualTo(2);
        assertThat(hour.mean()).isCloseTo((LN3 + LN2) / 2, within(1e-15));
        assertThat(day.mean()).isCloseTo((LN3 + LN2) / 2, within(1e-15));
    }

    @Test
    void aLabelDaysLateUpdatesThePredictionsPastWindow() {
        h.pipe(prediction("m", "v1", "old", T0 + 10_000, Task.MULTICLASS, OutputKind.LOGITS, 0, 0, 0));
        h.pipe(prediction("m", "v1", "new", T0 + 2 * DAY, Task.MULTICLASS, OutputKind.LOGITS, LN2, 0, 0));
        h.pipe(label("m", "new", T0 + 2 * DAY + 1000, 0));
        assertThat(minute(WindowKey.all("m", "v1"), T0)).isNull();
        h.pipe(label("m", "old", T0 + 2 * DAY + 5000, 2));
        WindowAggregate past = minute(WindowKey.all("m", "v1"), T0);
        assertThat(past.events()).isEqualTo(1);
        assertThat(past.mean()).isCloseTo(LN3, within(1e-15));
    }

    @Test
    void aCorrectionLeavesTheWindowAsIfOnlyTheNewLabelHadExisted() throws Exception {
        h.pipe(prediction("m", "v1", "e", T0, Task.MULTICLASS, OutputKind.LOGITS, LN2, 0, 0));
        h.pipe(label("m", "e", T0 + 1000, 0));
        h.pipe(label("m", "e", T0 + 2000, 1));
        WindowAggregate corrected = minute(WindowKey.all("m", "v1"), T0);
        try (TopologyHarness only = new TopologyHarness(TopologyConfig.defaults())) {
            only.pipe(prediction("m", "v1", "e", T0, Task.MULTICLASS, OutputKind.LOGITS, LN2, 0, 0));
            only.pipe(label("m", "e", T0 + 2000, 1));
            only.flushWindows();
            WindowStore<String, ValueAndTimestamp<WindowAggregate>> store =
                    only.driver.getTimestampedWindowStore(Names.lossWindowStore(Duration.ofMinutes(1)));
            WindowAggregate expected = store.fetch(WindowKey.all("m", "v1").encode(), T0).value();
            assertThat(corrected.events()).isEqualTo(expected.events()).isEqualTo(1);
            assertThat(corrected.mean()).isEqualTo(expected.mean()).isCloseTo(2 * LN2, within(1e-15));
            assertThat(corrected.accuracy()).isEqualTo(expected.accuracy()).isZero();
            assertThat(corrected.labelDistribution()).containsExactly(expected.labelDistribution());
            assertThat(corrected.ece()).isCloseTo(expected.ece(), within(1e-15));
        }
        // The class windows moved too: class 0 is empty again, class 1 holds the event.
        assertThat(minute(new WindowKey("m", "v1", "0"), T0).events()).isZero();
        assertThat(minute(new WindowKey("m", "v1", "1"), T0).mean()).isCloseTo(2 * LN2, within(1e-15));
    }

    @Test
    void multiLabelWindowsPerLabel() {
        h.pipe(prediction("tag", "v1", "a", T0, Task.MULTILABEL, OutputKind.PROBABILITIES, 0.8, 0.1));
        h.pipe(prediction("tag", "v1", "b", T0 + 1, Task.MULTILABEL, OutputKind.PROBABILITIES, 0.5, 0.5));
        h.pipe(label("tag", "a", T0 + 10, List.of(1.0, 0.0)));
        h.pipe(label("tag", "b", T0 + 10, List.of(1.0, 1.0)));
        WindowAggregate all = minute(WindowKey.all("tag", "v1"), T0);
        WindowAggregate first = minute(new WindowKey("tag", "v1", "0"), T0);
        WindowAggregate second = minute(new WindowKey("tag", "v1", "1"), T0);
        assertThat(all.mean()).isCloseTo((-Math.log(0.8) - Math.log(0.9) + 2 * LN2) / 4, within(1e-15));
        assertThat(first.mean()).isCloseTo((-Math.log(0.8) + LN2) / 2, within(1e-15));
        assertThat(second.mean()).isCloseTo((-Math.log(0.9) + LN2) / 2, within(1e-15));
        // Per label: label 0 always positive (baseline 0), label 1 half positive (ln 2); the model key averages them.
        assertThat(first.baselineLoss()).isZero();
        assertThat(second.baselineLoss()).isCloseTo(LN2, within(1e-15));
        assertThat(all.baselineLoss()).isCloseTo(LN2 / 2, within(1e-15));
        // Label 1 of event a: p = 0.1 for a negative: right; of b: p = 0.5 for a positive: right (>= 0.5).
        assertThat(second.accuracy()).isEqualTo(1.0);
    }

    @Test
    void labelFreeWindowsCountPredictionsBeforeAnyLabel() {
        h.pipe(prediction("m", "v1", "a", T0, Task.MULTICLASS, OutputKind.LOGITS, 0, LN3, 0));
        h.pipe(prediction("m", "v1", "a", T0, Task.MULTICLASS, OutputKind.LOGITS, 0, LN3, 0));
        h.pipe(prediction("m", "v1", "b", T0 + 5, Task.MULTICLASS, OutputKind.LOGITS, LN2, 0, 0));
        h.flushWindows();
        WindowStore<String, ValueAndTimestamp<PredictionWindowAggregate>> store =
                h.driver.getTimestampedWindowStore(Names.predictionWindowStore(Duration.ofMinutes(1)));
        PredictionWindowAggregate w = store.fetch(WindowKey.all("m", "v1").encode(), T0).value();
        assertThat(w.count()).isEqualTo(2);
        assertThat(w.confidenceMean()).isCloseTo((0.6 + 0.5) / 2, within(1e-15));
        assertThat(w.entropyMean()).isCloseTo((-(0.4 * Math.log(0.2) + 0.6 * Math.log(0.6)) + 1.5 * LN2) / 2,
                within(1e-15));
        assertThat(w.predictedClassRatio()).containsExactly(0.5, 0.5, 0.0);
    }
}
