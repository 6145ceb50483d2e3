package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The topology's description, compared with the committed snapshot: renaming a processor, store or internal
 * topic changes the application's state and topics, so it must be a deliberate act. After a deliberate change,
 * rerun with {@code -Dlossmonitor.updateSnapshots=true} and commit the new snapshot.
 */
class TopologySnapshotTest {

    @ParameterizedTest
    @CsvSource({"loss-topology.txt, REPARTITION, 0", "loss-topology-keyed-inputs.txt, KEYED, 4",
            "loss-topology-local-first.txt, LOCAL_FIRST, 4"})
    void describeMatchesTheSnapshot(String file, InputRouting.Mode mode, int partitions) throws Exception {
        Path snapshot = Path.of("src/test/resources/topology", file);
        // Building the topology makes no registry call; the client is only handed to the serdes.
        RegistryClient unused = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, "http://127.0.0.1:9")));
        String description = LossTopology.build(TopologyConfig.defaults().withInputRouting(new InputRouting(mode, partitions)),
                new TopologySerdes(unused)).describe().toString();
        if (Boolean.getBoolean("lossmonitor.updateSnapshots")) {
            Files.createDirectories(snapshot.getParent());
            Files.writeString(snapshot, description, StandardCharsets.UTF_8);
        }
        assertThat(snapshot).as("snapshot file; create it with -Dlossmonitor.updateSnapshots=true").exists();
        assertThat(description).isEqualTo(Files.readString(snapshot, StandardCharsets.UTF_8));
    }
}
