package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;

import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinKeys;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;

/**
 * Every join case of {@link LabelJoinTopologyTest} again, with LOCAL_FIRST routing over two partitions. The test
 * driver reads every input topic as partition 0, so the records of ids whose partition is 0 are joined where they
 * are and the others cross the join-input topic: each case runs with its ids on whichever path their hash gives,
 * and the join must not depend on it.
 */
class LocalFirstJoinTopologyTest extends LabelJoinTopologyTest {

    @Override
    TopologyConfig config() {
        return super.config().withInputRouting(InputRouting.localFirst(2));
    }

    /** The partition the producer's own default partitioner picks for a record keyed by {@code id}. */
    private static int producerPartition(String id, int partitions) {
        return BuiltInPartitioner.partitionForKey(new StringSerializer().serialize("any", id), partitions);
    }

    private static String firstIdIn(int partition) {
        for (int i = 0; ; i++) {
            if (producerPartition("p" + i, 2) == partition) {
                return "p" + i;
            }
        }
    }

    @Test
    void onlyRecordsOutsideTheirPartitionCrossTheJoinInputTopic() throws Exception {
        String home = firstIdIn(0);
        String away = firstIdIn(1);
        try (TopologyHarness h = new TopologyHarness(config())) {
            TestOutputTopic<String, byte[]> joinInput = h.driver.createOutputTopic(
                    "join-test-" + Names.JOIN_INPUT + "-repartition", new StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer());
            for (String id : List.of(home, away)) {
                h.pipe(prediction("m", "v1", id, T0, Task.BINARY, OutputKind.LOGITS, 0.5));
                h.pipe(label("m", id, T0 + 1, 1));
            }

            assertThat(joinInput.readKeyValuesToList()).extracting(kv -> kv.key)
                    .containsExactly(JoinKeys.of("m", away), JoinKeys.of("m", away));
            assertThat(h.scored()).extracting(e -> e.getPredictionId()).containsExactlyInAnyOrder(home, away);
            assertThat(h.deadLetters()).isEmpty();
            assertThat(h.count(Accounting.LABELS, "m", Accounting.JOINED)).isEqualTo(2);
        }
    }

    @Test
    void theIntakeAndTheJoinShareATaskThatAlsoReadsTheJoinInputTopic() {
        RegistryClient unused = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, "http://127.0.0.1:9")));
        TopologyDescription description = LossTopology.build(config(), new TopologySerdes(unused)).describe();
        TopologyDescription.Subtopology join = description.subtopologies().stream()
                .filter(s -> s.nodes().stream().anyMatch(n -> n.name().equals(Names.LABEL_JOIN)))
                .findFirst().orElseThrow();
        assertThat(join.nodes()).extracting(TopologyDescription.Node::name)
                .contains(Names.PREDICTIONS_SOURCE, Names.LABELS_SOURCE, Names.JOIN_INPUT + "-repartition-source",
                        Names.JOIN_INPUT + "-repartition-sink");
    }

    @Test
    void repartitionedRecordsLandWhereTheProducersPartitionerPutsTheirId() {
        var partitioner = LossTopology.byPredictionId();
        for (int partitions : new int[] {1, 2, 3, 7, 12}) {
            for (int i = 0; i < 500; i++) {
                // Ids of every length and beyond ASCII: the partitioner hashes the id's UTF-8 bytes, as StringSerializer.
                String id = "id-" + i + "-\u00e9\u4e2d".repeat(i % 4);
                assertThat(partitioner.partitions("t", JoinKeys.of("model\u00e9", id), null, partitions))
                        .as("%s of %d", id, partitions).contains(java.util.Set.of(producerPartition(id, partitions)));
                assertThat(InputRouting.partitionOf(id, partitions)).isEqualTo(producerPartition(id, partitions));
            }
        }
    }
}
