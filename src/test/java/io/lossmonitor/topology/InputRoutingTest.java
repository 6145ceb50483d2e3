package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InputRoutingTest {

    @Test
    void aModeThatReadsInputsWhereTheyAreNeedsTheirPartitionCount() {
        assertThatThrownBy(() -> InputRouting.localFirst(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LOCAL_FIRST needs the inputs' partition count");
        assertThatThrownBy(() -> InputRouting.keyed(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KEYED needs the inputs' partition count");
        assertThatThrownBy(() -> new InputRouting(InputRouting.Mode.REPARTITION, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not depend");
    }

    @Test
    void onlyTheIdsOwnPartitionIsHome() {
        InputRouting three = InputRouting.localFirst(3);
        for (int i = 0; i < 100; i++) {
            String id = "p" + i;
            int own = InputRouting.partitionOf(id, 3);
            for (int partition = 0; partition < 3; partition++) {
                assertThat(three.isHome(id, partition)).isEqualTo(partition == own);
                assertThat(InputRouting.keyed(3).isHome(id, partition)).isEqualTo(partition == own);
                assertThat(InputRouting.repartition().isHome(id, partition)).isFalse();
            }
        }
    }

    @Test
    void localFirstRefusesAJoinInputTopicWithAnotherPartitionCount() {
        TopologyConfig defaults = TopologyConfig.defaults();
        TopologyConfig six = new TopologyConfig(defaults.predictionsTopic(), defaults.labelsTopic(), defaults.modelsTopic(),
                defaults.scoredEventsTopic(), defaults.lateLabelsTopic(), defaults.deadLetterTopic(),
                defaults.maxLabelDelay(), defaults.earlyLabelTtl(), defaults.maxClockSkew(), defaults.punctuateInterval(),
                defaults.maxScores(), 6, defaults.modelSpecs(), defaults.windowSizes(), defaults.predictionGrace(),
                defaults.lossWindowsTopic(), defaults.maxPending(), defaults.windowFlushInterval(),
                InputRouting.repartition(), defaults.recentPredictionsBytes());
        assertThat(six.withInputRouting(InputRouting.localFirst(6)).inputRouting()).isEqualTo(InputRouting.localFirst(6));
        assertThat(six.withInputRouting(InputRouting.keyed(4)).inputRouting()).isEqualTo(InputRouting.keyed(4));
        assertThatThrownBy(() -> six.withInputRouting(InputRouting.localFirst(4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inputs' 4 partitions, but partitions is 6");
    }
}
