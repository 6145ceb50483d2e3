package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;

import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/**
 * Every join case of {@link LabelJoinTopologyTest} again, with the inputs read as partitioned (keyed by prediction
 * id): the join must not depend on which path its input took. The test driver reads every input topic as partition
 * 0, which is where a single-partition topic's default partitioner puts every record.
 */
class KeyedInputsJoinTopologyTest extends LabelJoinTopologyTest {

    @Override
    TopologyConfig config() {
        return super.config().withInputRouting(InputRouting.keyed(1));
    }

    @Test
    void theJoinReadsTheInputsWithoutARepartition() {
        RegistryClient unused = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, "http://127.0.0.1:9")));
        TopologyDescription description = LossTopology.build(config(), new TopologySerdes(unused)).describe();
        assertThat(description.toString()).doesNotContain(Names.JOIN_INPUT + "-repartition");
        TopologyDescription.Subtopology join = description.subtopologies().stream()
                .filter(s -> s.nodes().stream().anyMatch(n -> n.name().equals(Names.LABEL_JOIN)))
                .findFirst().orElseThrow();
        assertThat(join.nodes()).anyMatch(n -> n.name().equals(Names.PREDICTIONS_SOURCE))
                .anyMatch(n -> n.name().equals(Names.LABELS_SOURCE));
    }

    /** The partition the producer's own default partitioner picks for a record keyed by {@code id}. */
    private static int producerPartition(String id, int partitions) {
        return BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("any", id), partitions);
    }

    @Test
    void aRecordOutsideItsPredictionIdsPartitionIsDeadLettered() throws Exception {
        // The driver reads everything as partition 0; of two partitions, ids of partition 1 are then misplaced.
        String home = null;
        String elsewhere = null;
        for (int i = 0; home == null || elsewhere == null; i++) {
            String id = "p" + i;
            if (producerPartition(id, 2) == 0) {
                home = home == null ? id : home;
            } else {
                elsewhere = elsewhere == null ? id : elsewhere;
            }
        }
        try (TopologyHarness two = new TopologyHarness(super.config().withInputRouting(InputRouting.keyed(2)))) {
            Prediction misplaced = prediction("m", "v1", elsewhere, T0, Task.BINARY, OutputKind.LOGITS, 0.5);
            two.pipe(misplaced);
            two.pipe(prediction("m", "v1", home, T0, Task.BINARY, OutputKind.LOGITS, 0.5));
            Label misplacedLabel = label("m", elsewhere, T0 + 1, 1);
            two.pipe(misplacedLabel);
            two.pipe(label("m", home, T0 + 1, 1));

            List<TestRecord<byte[], byte[]>> dead = two.deadLetters();
            assertThat(dead).hasSize(2);
            assertThat(dead).allSatisfy(r -> {
                assertThat(TopologyHarness.header(r.headers(), Names.HEADER_REASON)).isEqualTo("WRONG_PARTITION");
                assertThat(TopologyHarness.header(r.headers(), Names.HEADER_DETAIL))
                        .contains("is in partition 0 of").contains("belongs to partition 1 of 2");
            });
            assertThat(dead.get(0).value()).isEqualTo(two.serialize(misplaced));
            assertThat(dead.get(1).value()).isEqualTo(two.serialize(misplacedLabel));
            assertThat(two.scored()).extracting(e -> e.getPredictionId()).containsExactly(home);
            assertThat(two.count(Accounting.PREDICTIONS, "m", Accounting.INVALID)).isEqualTo(1);
            assertThat(two.count(Accounting.LABELS, "m", Accounting.INVALID)).isEqualTo(1);
        }
    }
}
