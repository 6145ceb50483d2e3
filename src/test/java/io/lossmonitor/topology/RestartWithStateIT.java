package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lossmonitor.fixtures.Directories;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.Preload;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.topology.join.Accounting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A clean restart with the state directory kept, exactly-once: no task is wiped and restored, also not the windows
 * tasks whose window stores are empty (one model version, so every windows key hashes to one of the two partitions;
 * see {@code EmptyWindowStoreOffsets}). RocksDB writes a random {@code IDENTITY} into every database it creates, so a
 * store that was wiped and rebuilt has a new one: every database of the first run must still be there, unchanged,
 * once the restarted application has processed records again (tasks restore and initialize in the background after
 * RUNNING, so RUNNING alone proves nothing).
 */
class RestartWithStateIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    private KafkaStreams streams;

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
    }

    private static KafkaStreams start(TopologyConfig config, RegistryClient registry, Path stateDir) {
        Properties props = SingleBrokerSettings.of("restart-it", KAFKA, config, stateDir);
        KafkaStreams started = new KafkaStreams(LossTopology.build(config, new TopologySerdes(registry)), props);
        started.start();
        return started;
    }

    /** Prediction ids are the model's name and a counter: each batch has a model of its own. */
    private static TrafficConfig traffic(String model, long startMs) {
        return new TrafficConfig(7, List.of(ModelProfile.parse(model + ":multiclass:logits:10")), 200, 100, startMs,
                Duration.ofSeconds(2), 0, 0, 0, 0, 0, 0, null);
    }

    private long scored() {
        var store = streams.store(StoreQueryParameters.fromNameAndType(Names.JOIN_ACCOUNTING_STORE,
                QueryableStoreTypes.<String, Long>keyValueStore()));
        long sum = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                var e = it.next();
                String[] parts = Accounting.parse(e.key);
                if (parts[0].equals(Accounting.PREDICTIONS) && parts[2].equals(Accounting.SCORED)) {
                    sum += e.value;
                }
            }
        }
        return sum;
    }

    /** Each RocksDB database under {@code dir} (by its path) and the identity it was created with. */
    private static Map<String, String> databases(Path dir) throws IOException {
        Map<String, String> identities = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().equals("IDENTITY")).toList()) {
                identities.put(dir.relativize(file.getParent()).toString(), Files.readString(file).strip());
            }
        }
        return identities;
    }

    /** Window stores (their directories) that have no segment yet, in any task. */
    private static List<String> emptyWindowStores(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isDirectory)
                    .filter(d -> d.getFileName().toString().matches("(loss|prediction)-windows-\\w+"))
                    .filter(d -> !d.getParent().getFileName().toString().equals("rocksdb"))
                    .filter(d -> {
                        try (Stream<Path> segments = Files.list(d)) {
                            return segments.findAny().isEmpty();
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .map(d -> dir.relativize(d).toString()).toList();
        }
    }

    @Test
    void aCleanRestartKeepsEveryStoreIncludingEmptyWindowStores() throws Exception {
        TopologyConfig config = TopologyConfig.defaults();
        KAFKA.createTopics(2, config.predictionsTopic(), config.labelsTopic());
        KAFKA.createTopics(1, config.modelsTopic(), config.scoredEventsTopic(), config.lateLabelsTopic(),
                config.deadLetterTopic(), config.lossWindowsTopic());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL,
                SharedRegistry.get().url())));
        Path stateDir = Directories.scratch("lossmon-restart-it");

        streams = start(config, registry, stateDir);
        long first = Preload.load(KAFKA, registry, config.predictionsTopic(), config.labelsTopic(),
                traffic("ranker", TopologyHarness.T0), config.maxLabelDelay()).predictions();
        await("first batch scored").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> scored() == first);
        // The window partials reach the window stores at their flush interval: wait until some window store has
        // segments, while the other partition's stay empty (a walk that meets a file RocksDB is deleting is retried).
        await("windows written").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> databases(stateDir).keySet().stream()
                        .anyMatch(db -> db.matches(".*prediction-windows-\\w+\\.\\d+")));
        streams.close(Duration.ofSeconds(60));
        streams = null;

        Map<String, String> before = databases(stateDir);
        assertThat(emptyWindowStores(stateDir)).as("window stores without segments (the case under test)").isNotEmpty();
        assertThat(before).isNotEmpty();

        streams = start(config, registry, stateDir);
        long second = Preload.load(KAFKA, registry, config.predictionsTopic(), config.labelsTopic(),
                traffic("tagger", TopologyHarness.T0 + 60_000), config.maxLabelDelay()).predictions();
        await("second batch scored after the restart").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> scored() == first + second);
        streams.close(Duration.ofSeconds(60));
        streams = null;

        Map<String, String> after = databases(stateDir);
        assertThat(after).as("every database of the first run, with the identity it had").containsAllEntriesOf(before);
    }
}
