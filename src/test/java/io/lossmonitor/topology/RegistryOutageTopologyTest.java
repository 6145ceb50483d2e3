package io.lossmonitor.topology;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.RegistryProxy;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The application's registry goes away (a proxy in front of the real registry answers 503): records whose schema
 * is known keep flowing, records needing a schema never fetched are set aside, counted, retried with backoff on the
 * wall clock, and processed, oldest first and exactly as if just arrived, once the registry answers.
 */
class RegistryOutageTopologyTest {

    private RegistryProxy proxy;
    private TopologyHarness h;

    @BeforeEach
    void start() throws Exception {
        proxy = new RegistryProxy(SharedRegistry.get().url());
        h = new TopologyHarness(TopologyConfig.defaults(), proxy.url());
    }

    @AfterEach
    void stop() {
        h.close();
        proxy.close();
    }

    private static Prediction logits(String id, long time, double... scores) {
        return prediction("m", "v1", id, time, Task.MULTICLASS, OutputKind.LOGITS, scores);
    }

    private long awaiting() {
        return h.count(Accounting.PREDICTIONS, Accounting.UNKNOWN_MODEL, Accounting.AWAITING_SCHEMA);
    }

    /**
     * A backfill (events of two days ago, produced now) during an outage: the record whose schema cannot be had keeps
     * its partition's time, not the producer's clock, and is not taken for a future one when it is read later, hours
     * after the partition's time in event time.
     */
    @Test
    void aBackfillRecordSetAsideIsJudgedByTheClockNotByItsPartitionsTime() {
        long backfill = T0 - Duration.ofDays(2).toMillis();
        h.pipe(logits("old", backfill, 1, 2, 3), T0);
        proxy.setUp(false);
        long later = backfill + Duration.ofHours(3).toMillis();
        h.pipeRawPrediction(h.serializeNewer(logits("later", later, 0.5, 0.25, 3)), T0);
        assertThat(awaiting()).isEqualTo(1);
        proxy.setUp(true);
        h.driver.advanceWallClockTime(Duration.ofSeconds(2));
        h.pipe(label("m", "old", backfill + 10, 2), T0);
        h.pipe(label("m", "later", later + 10, 2), T0);
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.scored()).extracting(ScoredEvent::getPredictionId).containsExactly("old", "later");
    }

    @Test
    void unknownSchemasWaitForTheRegistryWhileKnownOnesFlow() {
        // Before the outage the application learns the current Prediction and Label schemas.
        h.pipe(logits("a", T0, 1, 2, 3));
        h.pipe(label("m", "a", T0 + 10, 2));
        assertThat(h.scored()).hasSize(1);

        proxy.setUp(false);
        int before = proxy.requests();
        h.pipeRawPrediction(h.serializeNewer(logits("new1", T0 + 100, 0.5, 0.25, 3)), T0 + 100);
        // Looked up twice: by the timestamp extractor (once, no retries; then not again for 30 s of the real clock)
        // and by the intake, which then backs off.
        assertThat(proxy.requests()).as("the first unknown schema id is looked up once by each").isEqualTo(before + 2);
        h.pipeRawPrediction(h.serializeNewer(logits("new2", T0 + 110, 4, -1, 0)), T0 + 110);
        assertThat(proxy.requests()).as("while the registry is known to be down, it is not called per record")
                .isEqualTo(before + 2);
        assertThat(awaiting()).isEqualTo(2);
        assertThat(h.deadLetters()).isEmpty();

        // Known schemas keep flowing, and the labels of the waiting predictions wait at the join as usual.
        h.pipe(logits("b", T0 + 120, 0, 0, 1));
        h.pipe(label("m", "b", T0 + 130, 0));
        h.pipe(label("m", "new1", T0 + 140, 2));
        h.pipe(label("m", "new2", T0 + 150, 0));
        assertThat(h.scored()).extracting(ScoredEvent::getPredictionId).containsExactly("b");

        // Retries back off: 1 s, then 2 s, then 4 s after each failed try.
        h.driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(proxy.requests()).isEqualTo(before + 3);
        h.driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(proxy.requests()).as("backing off: 2 s since the last try not yet over").isEqualTo(before + 3);
        h.driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(proxy.requests()).isEqualTo(before + 4);
        assertThat(awaiting()).isEqualTo(2);
        assertThat(h.scored()).isEmpty();

        proxy.setUp(true);
        h.driver.advanceWallClockTime(Duration.ofSeconds(4));
        List<ScoredEvent> scored = h.scored();
        assertThat(scored).extracting(ScoredEvent::getPredictionId).containsExactly("new1", "new2");
        // Cross-entropy of logits [0.5, 0.25, 3] at class 2 and [4, -1, 0] at class 0, by hand:
        // log(sum exp) - logit[target].
        assertThat(scored.get(0).getLoss()).isCloseTo(
                Math.log(Math.exp(0.5) + Math.exp(0.25) + Math.exp(3)) - 3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(scored.get(1).getLoss()).isCloseTo(
                Math.log(Math.exp(4) + Math.exp(-1) + Math.exp(0)) - 4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(awaiting()).isZero();
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.count(Accounting.PREDICTIONS, "m", Accounting.SCORED)).isEqualTo(4);
        assertThat(h.count(Accounting.LABELS, "m", Accounting.JOINED)).isEqualTo(4);

        // Back to normal: an unknown schema is fetched at once again.
        h.pipeRawPrediction(h.serializeNewer(logits("new3", T0 + 200, 1, 1, 1)), T0 + 200);
        h.pipe(label("m", "new3", T0 + 210, 1));
        assertThat(h.scored()).extracting(ScoredEvent::getPredictionId).containsExactly("new3");
        assertThat(awaiting()).isZero();
    }

    @Test
    void aPredictionWhoseModelsSpecNeedsTheRegistryWaitsForIt() {
        h.pipe(logits("a", T0, 1, 2, 3));
        h.pipe(label("m", "a", T0 + 10, 2));
        assertThat(h.scored()).hasSize(1);

        proxy.setUp(false);
        // A spec published during the outage: the application has never fetched ModelSpec's schema.
        h.pipe(ModelSpec.newBuilder().setModelId("m").setClassWeights(List.of(1.0, 2.0, 4.0)).build());
        int before = proxy.requests();
        h.pipe(logits("b", T0 + 100, 0.5, 0.25, 3));
        assertThat(proxy.requests()).as("the spec's schema is looked up once").isEqualTo(before + 1);
        h.pipe(logits("c", T0 + 110, 4, -1, 0));
        assertThat(proxy.requests()).as("while the registry is known to be down, it is not called per record")
                .isEqualTo(before + 1);
        assertThat(awaiting()).isEqualTo(2);
        // Labels need no spec at intake: they wait at the join for their predictions.
        h.pipe(label("m", "b", T0 + 120, 2));
        h.pipe(label("m", "c", T0 + 130, 1));
        assertThat(h.scored()).isEmpty();
        assertThat(h.deadLetters()).isEmpty();

        proxy.setUp(true);
        h.driver.advanceWallClockTime(Duration.ofSeconds(1));
        assertThat(awaiting()).isZero();
        assertThat(h.deadLetters()).isEmpty();
        // Scored under the spec: each event's denominator is its target's class weight.
        assertThat(h.scored()).extracting(ScoredEvent::getPredictionId, ScoredEvent::getDenominator)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("b", 4.0), org.assertj.core.groups.Tuple.tuple("c", 2.0));
    }

    @Test
    void aRecordThatStillCannotBeDecodedAfterTheOutageIsDeadLettered() {
        h.pipe(logits("a", T0, 1, 2, 3));
        proxy.setUp(false);
        byte[] unknownId = h.serialize(logits("x", T0 + 100, 1, 2, 3));
        unknownId[1] = 0x3f; // a schema id no registry has
        h.pipeRawPrediction(unknownId, T0 + 100);
        assertThat(awaiting()).isEqualTo(1);
        assertThat(h.deadLetters()).isEmpty();

        proxy.setUp(true);
        h.driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(awaiting()).isZero();
        var dead = h.deadLetters();
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).value()).isEqualTo(unknownId);
        assertThat(TopologyHarness.header(dead.get(0).headers(), Names.HEADER_REASON)).isEqualTo("UNDESERIALIZABLE");
        assertThat(TopologyHarness.header(dead.get(0).headers(), Names.HEADER_SOURCE_TOPIC))
                .isEqualTo(h.config.predictionsTopic());
        assertThat(h.count(Accounting.PREDICTIONS, Accounting.UNKNOWN_MODEL, Accounting.INVALID)).isEqualTo(1);
    }
}
