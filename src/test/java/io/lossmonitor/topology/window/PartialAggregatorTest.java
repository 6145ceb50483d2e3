package io.lossmonitor.topology.window;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.score.PredictionSignals;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The join task's pre-aggregation: one partial per window key and granule, forwarded and cleared on the wall-clock
 * flush, and merging partials gives what applying the events one by one gives.
 */
class PartialAggregatorTest {

    private static final String STORE = "partials";
    private static final long MINUTE = 60_000L;
    private static final Duration FLUSH = Duration.ofSeconds(1);

    private MockProcessorContext<String, PredictionWindowAggregate> context;
    private KeyValueStore<String, PredictionWindowAggregate> store;
    private PartialAggregator<PredictionSignals, PredictionWindowAggregate> processor;

    @BeforeEach
    @SuppressWarnings("deprecation")
    void setUp() {
        context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.String(),
                WindowCodecs.predictionAggregate()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        processor = new PartialAggregator<>(STORE, MINUTE, FLUSH, PredictionWindowAggregate::new,
                (s, update) -> update.accept(WindowKey.all(s.modelId(), s.modelVersion()).encode(), p -> p.apply(s)));
        processor.init(context);
    }

    private void signal(String model, long time, int predicted, double confidence) {
        processor.process(new Record<>("id", new PredictionSignals(model, "v1", time, 3, predicted, confidence, 0.5), time));
    }

    private void flush() {
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(0);
    }

    @Test
    void flushesOnTheWallClockAtTheConfiguredInterval() {
        assertThat(context.scheduledPunctuators()).singleElement().satisfies(p -> {
            assertThat(p.getType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
            assertThat(p.getInterval()).isEqualTo(FLUSH);
        });
    }

    @Test
    void onePartialPerKeyAndGranuleForwardedOnFlushStampedWithTheGranuleStart() {
        long t0 = 1_000 * MINUTE;
        signal("a", t0 + 5, 0, 0.5);
        signal("a", t0 + MINUTE - 1, 1, 0.7);
        signal("a", t0 + MINUTE, 2, 0.9);
        signal("b", t0 + 10, 1, 0.4);
        assertThat(context.forwarded()).as("nothing before the flush").isEmpty();

        flush();
        Map<String, CapturedForward<? extends String, ? extends PredictionWindowAggregate>> byKeyAndTime = new TreeMap<>();
        for (var f : context.forwarded()) {
            byKeyAndTime.put(f.record().key() + "@" + f.record().timestamp(), f);
        }
        String a = WindowKey.all("a", "v1").encode();
        String b = WindowKey.all("b", "v1").encode();
        assertThat(byKeyAndTime).containsOnlyKeys(a + "@" + t0, a + "@" + (t0 + MINUTE), b + "@" + t0);
        PredictionWindowAggregate first = byKeyAndTime.get(a + "@" + t0).record().value();
        assertThat(first.count()).isEqualTo(2);
        assertThat(first.confidenceMean()).isCloseTo((0.5 + 0.7) / 2, within(1e-15));
        assertThat(first.predictedClassRatio()).containsExactly(0.5, 0.5, 0.0);
        assertThat(byKeyAndTime.get(a + "@" + (t0 + MINUTE)).record().value().count()).isEqualTo(1);

        try (var it = store.all()) {
            assertThat(it.hasNext()).as("the store is empty after the flush").isFalse();
        }
        context.resetForwards();
        flush();
        assertThat(context.forwarded()).as("a flush with nothing new forwards nothing").isEmpty();
    }

    @Test
    void theGranuleIsTheGreatestCommonDivisorOfTheWindowSizes() {
        assertThat(TopologyConfig.defaults().windowGranuleMs()).isEqualTo(MINUTE);
        assertThat(TopologyConfig.defaults().withWindowSizes(List.of(Duration.ofSeconds(90), Duration.ofMinutes(1)))
                .windowGranuleMs()).isEqualTo(30_000);
        assertThat(TopologyConfig.defaults().withWindowSizes(List.of(Duration.ofMinutes(5))).windowGranuleMs())
                .isEqualTo(5 * MINUTE);
    }

    private static WindowContribution contribution(int sign, double numerator, double denominator, double confidence,
                                                   int correct, double... labels) {
        return new WindowContribution(LossKind.CROSS_ENTROPY, sign, numerator, denominator, labels, 1.0, confidence,
                correct, numerator / 2);
    }

    @Test
    void aWindowWhoseEventsAllWeighNothingHasANaNMeanEvenWithALossInIt() {
        // Label smoothing on a target whose class weighs 0: a positive numerator and no denominator, which PyTorch's
        // mean over these events gives as NaN (its nll term is 0/0), not +inf.
        WindowAggregate window = new WindowAggregate();
        window.apply(contribution(1, 0.4, 0, 0.6, 1, 0, 0, 0));
        assertThat(window.mean()).isNaN();
        window.apply(contribution(1, 1.0, 2, 0.6, 1, 2, 0, 0));
        assertThat(window.mean()).isEqualTo(1.4 / 2);
    }

    @Test
    void normalizedEntropyIsUndefinedWhileEveryLabelIsOneClass() {
        // Three events all labelled class 0: the constant predictor's loss (the baseline) is 0, so mean / baseline
        // says nothing; one event of class 1 makes the label distribution (3/4, 1/4) and the ratio defined.
        WindowAggregate window = new WindowAggregate();
        for (int i = 0; i < 3; i++) {
            window.apply(contribution(1, 0.5, 1, 0.6, 1, 1, 0));
        }
        assertThat(window.baselineLoss()).isZero();
        assertThat(window.normalizedEntropy()).isNaN();
        window.apply(contribution(1, 0.9, 1, 0.6, 0, 0, 1));
        double baseline = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
        assertThat(window.baselineLoss()).isCloseTo(baseline, within(1e-15));
        assertThat(window.normalizedEntropy()).isCloseTo((1.5 + 0.9) / 4 / baseline, within(1e-15));
    }

    @Test
    void mergedPartialsEqualTheEventsAppliedOneByOne() {
        List<WindowContribution> events = List.of(contribution(1, 0.7, 1, 0.55, 1, 1, 0, 0),
                contribution(1, 1.9, 2, 0.81, 0, 0, 2, 0), contribution(1, 0.2, 0.5, 0.93, 1, 0, 0, 0.5),
                contribution(-1, 1.9, 2, 0.81, 0, 0, 2, 0), contribution(1, 2.5, 2, 0.34, 0, 0, 0, 2));
        WindowAggregate direct = new WindowAggregate();
        LossTotal directTotal = new LossTotal();
        events.forEach(e -> {
            direct.apply(e);
            directTotal.apply(e);
        });
        // Split as two join tasks (or two flushes) would see them; the retraction in another partial than its score.
        WindowPartial first = new WindowPartial();
        WindowPartial second = new WindowPartial();
        for (int i = 0; i < events.size(); i++) {
            (i % 2 == 0 ? first : second).apply(events.get(i));
        }
        WindowAggregate merged = new WindowAggregate().merge(first.aggregate()).merge(second.aggregate());
        LossTotal mergedTotal = new LossTotal().merge(first.total()).merge(second.total());

        // Four scores, one retracted.
        assertThat(merged.events()).isEqualTo(direct.events()).isEqualTo(3);
        // What remains: numerators 0.7 + 0.2 + 2.5 = 3.4 over denominators 1 + 0.5 + 2 = 3.5; two of three right.
        assertThat(merged.mean()).isCloseTo(direct.mean(), within(1e-15)).isCloseTo(3.4 / 3.5, within(1e-15));
        assertThat(merged.accuracy()).isEqualTo(direct.accuracy()).isEqualTo(2.0 / 3);
        assertThat(merged.ece()).isCloseTo(direct.ece(), within(1e-15));
        assertThat(merged.standardError()).isCloseTo(direct.standardError(), within(1e-15));
        assertThat(merged.labelDistribution()).containsExactly(direct.labelDistribution());
        assertThat(merged.entropyMean()).isCloseTo(direct.entropyMean(), within(1e-15));
        assertThat(mergedTotal.scored()).isEqualTo(directTotal.scored()).isEqualTo(4);
        assertThat(mergedTotal.retracted()).isEqualTo(directTotal.retracted()).isEqualTo(1);
        assertThat(mergedTotal.numerator()).isCloseTo(directTotal.numerator(), within(1e-15)).isCloseTo(5.3, within(1e-15));
        assertThat(mergedTotal.retractedDenominator()).isEqualTo(directTotal.retractedDenominator()).isEqualTo(2.0);
    }

    @Test
    void aPartialSurvivesItsStoreEncodingWithEveryBinInUse() {
        WindowPartial p = new WindowPartial();
        for (int b = 0; b < WindowAggregate.BINS; b++) {
            p.apply(contribution(1, b, 1, (b + 0.5) / WindowAggregate.BINS, b % 2, 1));
        }
        var serde = WindowCodecs.partial();
        WindowPartial back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", p));
        assertThat(back.aggregate().ece()).isEqualTo(p.aggregate().ece());
        assertThat(back.aggregate().accuracy()).isEqualTo(7.0 / 15);
        assertThat(back.aggregate().mean()).isEqualTo(p.aggregate().mean()).isEqualTo(7.0);
    }

    @Test
    void aPartialSurvivesItsStoreEncoding() {
        WindowPartial p = new WindowPartial().apply(contribution(1, 0.7, 1, 0.55, 1, 1, 0, 0))
                .apply(contribution(-1, 0.7, 1, 0.55, 1, 1, 0, 0)).apply(contribution(1, 1.25, 1, 0.6, 0, 0, 1, 0));
        var serde = WindowCodecs.partial();
        WindowPartial back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", p));
        assertThat(back.aggregate().events()).isEqualTo(1);
        assertThat(back.aggregate().mean()).isEqualTo(1.25);
        assertThat(back.aggregate().labelDistribution()).containsExactly(0.0, 1.0, 0.0);
        // The bins are written sparse: the one left in use (confidence 0.6, wrong) comes back, the emptied one too.
        assertThat(back.aggregate().ece()).isEqualTo(p.aggregate().ece()).isCloseTo(0.6, within(1e-15));
        assertThat(back.aggregate().accuracy()).isZero();
        assertThat(back.total().scored()).isEqualTo(2);
        assertThat(back.total().retracted()).isEqualTo(1);
        assertThat(back.total().retractedNumerator()).isEqualTo(0.7);
    }
}
