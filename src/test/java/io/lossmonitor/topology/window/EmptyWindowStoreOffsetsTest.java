package io.lossmonitor.topology.window;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.Directories;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.TimestampedBytesStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The offset rule on a real RocksDB window store: "unknown" only while the store holds no record; once it holds one,
 * Kafka Streams' own answer (none until a commit, then the committed offset).
 */
class EmptyWindowStoreOffsetsTest {

    private static final TopicPartition CHANGELOG = new TopicPartition("app-prediction-windows-1m-changelog", 0);

    private WindowStore<Bytes, byte[]> store;

    @BeforeEach
    void open() throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(props, new TaskId(0, 0),
                Directories.scratch("lossmon-window-offsets").toFile());
        store = EmptyWindowStoreOffsets.persistentTimestamped("prediction-windows-1m", Duration.ofMinutes(2),
                Duration.ofMinutes(1)).get();
        store.init(context.getStateStoreContext(), store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void anEmptyStoreReportsTheUnknownOffsetAndAStoreWithRecordsItsOwn() {
        assertThat(store).isInstanceOf(TimestampedBytesStore.class);
        assertThat(store.committedOffset(CHANGELOG)).isEqualTo(OffsetCheckpoint.OFFSET_UNKNOWN);

        store.put(Bytes.wrap(new byte[] {1}), new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 42}, 60_000);
        assertThat(store.committedOffset(CHANGELOG)).as("records, none committed: Kafka Streams' answer").isNull();

        store.commit(Map.of(CHANGELOG, 17L));
        assertThat(store.committedOffset(CHANGELOG)).isEqualTo(17L);
    }
}
