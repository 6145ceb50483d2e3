package io.lossmonitor.topology;

import io.lossmonitor.fixtures.KafkaFixture;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * {@link StreamsSettings}' production defaults as the ITs run them: on one broker (replication factor 1, no
 * standby), with state in a scratch directory, committing every 100 ms so that results are readable soon.
 */
final class SingleBrokerSettings {

    private SingleBrokerSettings() {
    }

    static Properties of(String applicationId, KafkaFixture kafka, TopologyConfig config, Path stateDir) {
        Properties props = StreamsSettings.defaults(applicationId, kafka.bootstrapServers(), config);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        return props;
    }
}
