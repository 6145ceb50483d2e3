package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.TopologyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The routing the service chooses from the inputs' partition counts, and the output topics' sizes it requires (the
 * cluster lookup itself: ServiceIT).
 */
class ServiceTopicsTest {

    private static TopologyConfig topology(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081"));
        all.putAll(settings);
        return LossMonitorService.topologyConfig(ServiceConfig.load(null, Map.of(), all));
    }

    @Test
    void inputsWithOnePartitionCountAreReadWhereTheyAre() {
        assertThat(ServiceTopics.routing(topology(Map.of()), 6, 6, false)).isEqualTo(InputRouting.localFirst(6));
        assertThat(ServiceTopics.routing(topology(Map.of("lossmonitor.partitions", "6")), 6, 6, false))
                .isEqualTo(InputRouting.localFirst(6));
    }

    @Test
    void differentCountsOrAnotherJoinInputCountRepartitionEveryRecord() {
        assertThat(ServiceTopics.routing(topology(Map.of()), 6, 3, false)).isEqualTo(InputRouting.repartition());
        assertThat(ServiceTopics.routing(topology(Map.of("lossmonitor.partitions", "12")), 6, 6, false))
                .isEqualTo(InputRouting.repartition());
    }

    @Test
    void keyedInputsNeedOnePartitionCount() {
        assertThat(ServiceTopics.routing(topology(Map.of()), 4, 4, true)).isEqualTo(InputRouting.keyed(4));
        assertThatThrownBy(() -> ServiceTopics.routing(topology(Map.of()), 4, 5, true)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("to have the same number of partitions, but they have 4 and 5");
    }

    @Test
    void outputTopicsCarryingEventsMustTakeTheLargestRecord() {
        TopologyConfig topology = topology(Map.of());
        long largest = topology.maxRecordBytes();
        Map<String, Long> roomy = Map.of("scored-events", largest, "loss-monitor-dead-letters", 1_048_588L,
                "late-labels", largest, "loss-windows", 1_000L);
        assertThat(ServiceTopics.sizeProblems(topology, roomy)).isEmpty();

        Map<String, Long> tight = Map.of("scored-events", largest - 1, "loss-monitor-dead-letters", 512 * 1024L,
                "late-labels", largest, "loss-windows", 1_000L);
        assertThat(ServiceTopics.sizeProblems(topology, tight)).containsExactly(
                "lossmonitor.topics.scored-events: topic 'scored-events' takes records of up to " + (largest - 1)
                        + " bytes (max.message.bytes), but with lossmonitor.max-scores 10000 the service may write"
                        + " records of up to " + largest + " bytes to it: raise the topic's max.message.bytes to at"
                        + " least that, or lower lossmonitor.max-scores",
                "lossmonitor.topics.dead-letters: topic 'loss-monitor-dead-letters' takes records of up to 524288"
                        + " bytes (max.message.bytes), but with lossmonitor.max-scores 10000 the service may write"
                        + " records of up to " + largest + " bytes to it: raise the topic's max.message.bytes to at"
                        + " least that, or lower lossmonitor.max-scores");
    }

    @Test
    void raisingMaxScoresNeedsLargerOutputTopics() {
        // Kafka's default max.message.bytes (1 MB + 12) takes the default max-scores' records, not twice as many scores.
        Map<String, Long> kafkaDefaults = Map.of("scored-events", 1_048_588L, "loss-monitor-dead-letters", 1_048_588L,
                "late-labels", 1_048_588L);
        assertThat(ServiceTopics.sizeProblems(topology(Map.of()), kafkaDefaults)).isEmpty();
        assertThat(ServiceTopics.sizeProblems(topology(Map.of("lossmonitor.max-scores", "20000")), kafkaDefaults))
                .hasSize(3).allSatisfy(p -> assertThat(p).contains("lossmonitor.max-scores 20000"));
        assertThat(ServiceTopics.sizeProblems(topology(Map.of("lossmonitor.topics.late-labels", "shared",
                "lossmonitor.topics.dead-letters", "shared")), Map.of("shared", 100_000L)))
                .extracting(p -> p.substring(0, p.indexOf(':')))
                .containsExactly("lossmonitor.topics.dead-letters", "lossmonitor.topics.late-labels");
    }

    @Test
    void compactionIsReadFromTheCleanupPolicyList() {
        assertThat(ServiceTopics.compacted("compact")).isTrue();
        assertThat(ServiceTopics.compacted("delete, compact")).isTrue();
        assertThat(ServiceTopics.compacted("delete")).isFalse();
        assertThat(ServiceTopics.compacted("")).isFalse();
        assertThat(ServiceTopics.compacted(null)).isFalse();
    }

    @Test
    void existingInternalTopicsMustTakeTheLargestRecordToo() {
        // Kafka Streams' names: <application.id>-<store>-changelog, <application.id>-<name>-repartition.
        assertThat(ServiceTopics.internalTopics("lm")).containsExactly("lm-join-predictions-changelog",
                "lm-join-early-labels-changelog", "lm-intake-awaiting-schema-changelog", "lm-join-input-repartition");
        TopologyConfig raised = topology(Map.of("lossmonitor.max-scores", "20000"));
        // 2 x (16 x 20,000 + 32 KiB) + 40 x 20,000 + 4 KiB: more than a topic created with Kafka's 1 MB default takes.
        assertThat(raised.maxRecordBytes()).isEqualTo(1_509_632L);
        assertThat(ServiceTopics.internalSizeProblems(raised, Map.of("lm-join-predictions-changelog", 1_048_588L,
                "lm-join-input-repartition", 1_509_632L))).containsExactly("internal topic"
                + " 'lm-join-predictions-changelog' takes records of up to 1048588 bytes (max.message.bytes), but with"
                + " lossmonitor.max-scores 20000 the service may write records of up to 1509632 bytes to it (it was"
                + " created before lossmonitor.max-scores was raised, or with a smaller limit): raise its"
                + " max.message.bytes to at least that (kafka-configs --alter --entity-type topics --entity-name"
                + " lm-join-predictions-changelog --add-config max.message.bytes=1509632), or lower lossmonitor.max-scores");
        assertThat(ServiceTopics.internalSizeProblems(topology(Map.of()), Map.of("lm-join-predictions-changelog",
                1_048_588L))).isEmpty();
    }
}
