package io.lossmonitor.topology.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecentPredictionsTest {

    private static StoredPrediction pending(String id, int scores) {
        return new StoredPrediction(new PredictionEvent(id, "m", "v1", 1_000L, Task.MULTICLASS, OutputKind.LOGITS,
                new double[scores], Map.of("region", "eu")), 2_000L, null, null);
    }

    @Test
    void keepsTheNewestWithinTheBudgetAndDropsTheOldestFirst() {
        long each = RecentPredictions.sizeOf("m|a", pending("a", 10));
        RecentPredictions recent = new RecentPredictions(3 * each);
        for (String id : new String[] {"a", "b", "c", "d"}) {
            recent.put("m|" + id, pending(id, 10));
        }
        assertThat(recent.size()).isEqualTo(3);
        assertThat(recent.bytes()).isEqualTo(3 * each);
        assertThat(recent.get("m|a")).as("the oldest went first").isNull();
        assertThat(recent.get("m|d").prediction().predictionId()).isEqualTo("d");

        recent.remove("m|c");
        recent.remove("m|unknown");
        assertThat(recent.size()).isEqualTo(2);
        assertThat(recent.bytes()).isEqualTo(2 * each);
    }

    @Test
    void replacingAnEntryCountsItOnce() {
        RecentPredictions recent = new RecentPredictions(1 << 20);
        recent.put("m|a", pending("a", 10));
        recent.put("m|a", pending("a", 100));
        assertThat(recent.size()).isEqualTo(1);
        assertThat(recent.bytes()).isEqualTo(RecentPredictions.sizeOf("m|a", pending("a", 100)));
    }

    @Test
    void anEntryLargerThanTheBudgetIsNotHeldAndDoesNotLeaveAnOlderValue() {
        RecentPredictions recent = new RecentPredictions(RecentPredictions.sizeOf("m|a", pending("a", 10)));
        recent.put("m|a", pending("a", 10));
        recent.put("m|a", pending("a", 1_000));
        assertThat(recent.get("m|a")).isNull();
        assertThat(recent.bytes()).isZero();

        RecentPredictions none = new RecentPredictions(0);
        none.put("m|a", pending("a", 1));
        assertThat(none.size()).isZero();
    }

    @Test
    void theEstimateGrowsWithWhatTheEntryHolds() {
        long base = RecentPredictions.sizeOf("m|a", pending("a", 0));
        assertThat(RecentPredictions.sizeOf("m|a", pending("a", 100)) - base).isEqualTo(800);
        assertThat(RecentPredictions.sizeOf("m|abcdef", pending("a", 0)) - base).isEqualTo(10);
    }
}
