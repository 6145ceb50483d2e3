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
                "lm-join-early-labels-changelog", "lm-join-applied-labels-changelog", "lm-intake-awaiting-schema-changelog",
                "lm-join-input-repartition");
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

    @Test
    void existingInternalTopicsMustBePartitionedAsTheTopologyNeeds() {
        TopologyConfig topology = topology(Map.of());
        // Inputs of 6 partitions, read where they are: every event-sized internal topic has 6.
        Map<String, Integer> six = Map.of("lm-join-predictions-changelog", 6, "lm-join-early-labels-changelog", 6,
                "lm-intake-awaiting-schema-changelog", 6, "lm-join-input-repartition", 6);
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.localFirst(6), 6, six)).isEmpty();
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.localFirst(6), 6, Map.of())).isEmpty();
        // The inputs grew to 12: the state is partitioned for 6.
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.localFirst(12), 12, six)).hasSize(4)
                .first().isEqualTo("internal topic 'lm-intake-awaiting-schema-changelog' has 6 partitions, but with the"
                        + " inputs' 12 partitions (and lossmonitor.partitions 0) the application needs 12: its state is"
                        + " partitioned for the earlier count and Kafka Streams cannot move it. Restore the earlier"
                        + " partition count, or reset the application (kafka-streams-application-reset --application-id"
                        + " lm --input-topics ..., which deletes its internal topics; then delete the state directories)"
                        + " or start it under a new application-id: either way its windows and totals begin empty");
        // Repartitioned with a partitions setting: the join has that many tasks, the intake as many as the inputs.
        TopologyConfig eight = topology(Map.of("lossmonitor.partitions", "8"));
        Map<String, Integer> split = Map.of("lm-join-predictions-changelog", 8, "lm-join-early-labels-changelog", 8,
                "lm-intake-awaiting-schema-changelog", 6, "lm-join-input-repartition", 8);
        assertThat(ServiceTopics.partitionProblems("lm", eight, InputRouting.repartition(), 6, split)).isEmpty();
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.repartition(), 6, split))
                .extracting(p -> p.substring(0, p.indexOf(" has ")))
                .containsExactly("internal topic 'lm-join-early-labels-changelog'", "internal topic 'lm-join-input-repartition'",
                        "internal topic 'lm-join-predictions-changelog'");
        // Repartitioned without it: as many as the larger input (Kafka Streams' rule for a repartition topic).
        Map<String, Integer> uneven = Map.of("lm-join-predictions-changelog", 6, "lm-join-input-repartition", 6,
                "lm-intake-awaiting-schema-changelog", 6);
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.repartition(), 6, uneven)).isEmpty();
        // Counts beyond the JVM's small-integer cache are compared by value.
        Map<String, Integer> many = Map.of("lm-join-predictions-changelog", 256, "lm-join-input-repartition", 256,
                "lm-intake-awaiting-schema-changelog", 256);
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.localFirst(256), 256, many)).isEmpty();
        assertThat(ServiceTopics.partitionProblems("lm", topology, InputRouting.localFirst(512), 512, many)).hasSize(3);
    }
}
