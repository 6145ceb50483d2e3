package io.lossmonitor.events;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LabelEventTest {

    private static LabelEvent index(int target, double weight, long time) {
        return new LabelEvent("p1", "m", time, target, null, weight);
    }

    private static LabelEvent vector(double[] target, double weight) {
        return new LabelEvent("p1", "m", 5, -1, target, weight);
    }

    @Test
    void sameTargetIgnoresIdsAndTimesButNotTargetOrWeight() {
        assertThat(index(3, 1, 10).sameTargetAs(index(3, 1, 99))).isTrue();
        assertThat(index(3, 1, 10).sameTargetAs(index(4, 1, 10))).isFalse();
        assertThat(index(3, 1, 10).sameTargetAs(index(3, 0.5, 10))).isFalse();
    }

    @Test
    void vectorTargetsCompareByContentAndNeverEqualAnIndexTarget() {
        assertThat(vector(new double[] {0.2, 0.8}, 1).sameTargetAs(vector(new double[] {0.2, 0.8}, 1))).isTrue();
        assertThat(vector(new double[] {0.2, 0.8}, 1).sameTargetAs(vector(new double[] {0.8, 0.2}, 1))).isFalse();
        assertThat(vector(new double[] {0, 1}, 1).sameTargetAs(index(1, 1, 5))).isFalse();
        assertThat(index(1, 1, 5).sameTargetAs(vector(new double[] {0, 1}, 1))).isFalse();
    }
}
