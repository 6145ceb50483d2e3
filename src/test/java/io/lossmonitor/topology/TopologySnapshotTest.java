package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The topology's description, compared with the committed snapshot: renaming a processor, store or internal
 * topic changes the application's state and topics, so it must be a deliberate act. After a deliberate change,
 * rerun with {@code -Dlossmonitor.updateSnapshots=true} and commit the new snapshot.
 */
class TopologySnapshotTest {

    private static final Path SNAPSHOT = Path.of("src/test/resources/topology/loss-topology.txt");

    @Test
    void describeMatchesTheSnapshot() throws Exception {
        // Building the topology makes no registry call; the client is only handed to the serdes.
        RegistryClient unused = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, "http://127.0.0.1:9")));
        String description = LossTopology.build(TopologyConfig.defaults(), new TopologySerdes(unused)).describe().toString();
        if (Boolean.getBoolean("lossmonitor.updateSnapshots")) {
            Files.createDirectories(SNAPSHOT.getParent());
            Files.writeString(SNAPSHOT, description, StandardCharsets.UTF_8);
        }
        assertThat(SNAPSHOT).as("snapshot file; create it with -Dlossmonitor.updateSnapshots=true").exists();
        assertThat(description).isEqualTo(Files.readString(SNAPSHOT, StandardCharsets.UTF_8));
    }
}
