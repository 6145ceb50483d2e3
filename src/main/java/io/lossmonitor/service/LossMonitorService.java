package io.lossmonitor.service;

import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.http.HttpApi;
import io.lossmonitor.metrics.ServiceMetrics;
import io.lossmonitor.metrics.StoreMetrics;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.registry.RegistryException;
import io.lossmonitor.topology.BoundedRocksDb;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.LossTopology;
import io.lossmonitor.topology.StreamsSettings;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.TopologySerdes;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: the Kafka Streams application, its metrics, and its HTTP server. The constructor logs the
 * effective configuration (secrets redacted) and asks the cluster for the inputs' partition counts, which decide the
 * topology's {@link InputRouting}; {@link #start()} checks the registry, then starts; {@link #close()} stops accepting
 * HTTP requests, closes Kafka Streams within the shutdown timeout (committing and flushing), and releases the rest.
 */
public final class LossMonitorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LossMonitorService.class);

    private final ServiceConfig config;
    private final TopologyConfig topology;
    private final RegistryClient registry;
    private final ServiceMetrics metrics;
    private final KafkaStreams streams;
    private final HttpApi http;
    private final StreamsHealth health;
    private final AtomicBoolean closed = new AtomicBoolean();

    public LossMonitorService(ServiceConfig config, String version) throws IOException {
        this.config = config;
        // Logged first: reading the inputs' partition counts below is the first thing that can fail on the cluster.
        LOG.info(config.describe());
        TopologyConfig topology = topologyConfig(config);
        Properties properties = streamsProperties(config, topology);
        requireRoomForRecords(properties, topology);
        topology = topology.withInputRouting(
                InputTopics.routing(properties, topology, config.bool(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID)));
        LOG.info("input routing: {}", topology.inputRouting());
        this.topology = topology;
        this.registry = new RegistryClient(RegistryConfig.from(config.registry()));
        this.streams = new KafkaStreams(LossTopology.build(topology, new TopologySerdes(registry)), properties);
        this.metrics = new ServiceMetrics(new StoreMetrics(this::forEachLocal, config.integer(AppSetting.METRICS_MAX_CLASSES),
                config.pattern(AppSetting.METRICS_MODELS_ALLOW), config.pattern(AppSetting.METRICS_MODELS_DENY)), version);
        this.health = new StreamsHealth(config.duration(AppSetting.STARTUP_GRACE), System::currentTimeMillis);
        metrics.bind(streams, health::state);
        streams.setStateListener((now, before) -> {
            health.onStateChange(now);
            LOG.info("Kafka Streams state {} -> {}", before, now);
        });
        streams.setUncaughtExceptionHandler(e -> {
            StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse response = health.onThreadDeath();
            if (response == StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD) {
                LOG.error("a stream thread died; replacing it ({} of {} within {})", health.recentReplacements(),
                        StreamsHealth.MAX_REPLACEMENTS, StreamsHealth.REPLACEMENT_WINDOW, e);
            } else {
                LOG.error("a stream thread died again; shutting the client down so that /health/live fails", e);
            }
            return response;
        });
        String server = config.get(AppSetting.APPLICATION_SERVER);
        HostInfo self = server.isEmpty() ? new HostInfo("unknown", -1) : HostInfo.buildFromEndpoint(server);
        this.http = new HttpApi(config.get(AppSetting.HTTP_ADDRESS), config.integer(AppSetting.HTTP_PORT), metrics,
                () -> streams, health, topology.windowSizes(), self, config.integer(AppSetting.QUERY_MAX_WINDOWS));
    }

    /**
     * The topology settings from the service settings, with every input repartitioned: reading inputs where they are
     * ({@link InputRouting}) needs their partition counts, which the service asks the cluster for at start-up.
     */
    public static TopologyConfig topologyConfig(ServiceConfig c) {
        return new TopologyConfig(c.get(AppSetting.PREDICTIONS_TOPIC), c.get(AppSetting.LABELS_TOPIC),
                c.get(AppSetting.MODELS_TOPIC), c.get(AppSetting.SCORED_EVENTS_TOPIC), c.get(AppSetting.LATE_LABELS_TOPIC),
                c.get(AppSetting.DEAD_LETTERS_TOPIC), c.duration(AppSetting.MAX_LABEL_DELAY),
                c.duration(AppSetting.EARLY_LABEL_TTL), c.duration(AppSetting.MAX_CLOCK_SKEW),
                c.duration(AppSetting.PUNCTUATE_INTERVAL), c.integer(AppSetting.MAX_SCORES), c.integer(AppSetting.PARTITIONS),
                c.modelSpecs(), c.windows(), c.duration(AppSetting.PREDICTION_WINDOW_GRACE),
                c.get(AppSetting.LOSS_WINDOWS_TOPIC), c.integer(AppSetting.MAX_PENDING_PREDICTIONS),
                c.duration(AppSetting.WINDOW_FLUSH_INTERVAL), InputRouting.repartition());
    }

    /**
     * Fails the start when the producer could not send the largest record an accepted event may produce (after
     * {@code max-scores} was raised without Kafka's limits): such a send would fail its transaction and stop the
     * stream thread at the first large event, where the start can say it now.
     *
     * @throws ConfigException naming both settings
     */
    static void requireRoomForRecords(Properties streams, TopologyConfig topology) {
        Object set = streams.getOrDefault(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                streams.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        long maxRequestSize;
        try {
            maxRequestSize = set == null ? 1024 * 1024 : Long.parseLong(set.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(List.of("the producer's max.request.size '" + set + "' is not a number of bytes"));
        }
        if (topology.maxRecordBytes() > maxRequestSize) {
            throw new ConfigException(List.of(AppSetting.MAX_SCORES.key() + " " + topology.maxScores()
                    + " lets one event produce records of up to " + topology.maxRecordBytes() + " bytes, more than the"
                    + " producer's max.request.size of " + maxRequestSize + ": raise kafka.producer.max.request.size"
                    + " (and the max.message.bytes of the internal and output topics) to at least that, or lower "
                    + AppSetting.MAX_SCORES.key()));
        }
    }

    /** The Kafka Streams properties: {@link StreamsSettings}' defaults, the service settings, then {@code kafka.*}. */
    static Properties streamsProperties(ServiceConfig config, TopologyConfig topology) {
        Properties p = StreamsSettings.defaults(config.get(AppSetting.APPLICATION_ID),
                config.get(AppSetting.BOOTSTRAP_SERVERS), topology);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, config.integer(AppSetting.REPLICATION_FACTOR));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.integer(AppSetting.STANDBY_REPLICAS));
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.get(AppSetting.STATE_DIR));
        p.put(BoundedRocksDb.MEMORY_MB, config.integer(AppSetting.ROCKSDB_MEMORY_MB));
        if (!config.get(AppSetting.APPLICATION_SERVER).isEmpty()) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, config.get(AppSetting.APPLICATION_SERVER));
        }
        // Pass-through Kafka properties win over every default.
        p.putAll(config.kafka());
        return p;
    }

    /**
     * Checks the registry, logs the effective configuration, starts Kafka Streams and the HTTP server.
     *
     * @throws ConfigException when the registry cannot be reached or refuses the output schemas (resolved now so
     *     that a later registry outage cannot hold up the output)
     */
    public void start() {
        try {
            registry.ping();
        } catch (RegistryException e) {
            throw new ConfigException(List.of("the schema registry at "
                    + ServiceConfig.redactUrls(config.get(AppSetting.SCHEMA_REGISTRY_URL)) + " is unreachable: " + e.getMessage()));
        }
        try {
            new TopologySerdes(registry).resolveOutputSchemas(topology);
        } catch (RegistryException e) {
            throw new ConfigException(List.of("the output schemas could not be registered: "
                    + ServiceConfig.redactUrls(e.getMessage())));
        }
        http.start();
        streams.start();
        LOG.info("loss-monitor started: HTTP on {}:{}", config.get(AppSetting.HTTP_ADDRESS), http.port());
    }

    /** The Prometheus exposition this instance serves at /metrics. */
    public String scrape() {
        return metrics.scrape(null);
    }

    public int httpPort() {
        return http.port();
    }

    public KafkaStreams.State state() {
        return health.state();
    }

    private <K, V> void forEachLocal(String store, BiConsumer<K, V> visitor) {
        KafkaStreams.State state = health.state();
        if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return;
        }
        try {
            ReadOnlyKeyValueStore<K, V> kv = streams.store(StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.keyValueStore()));
            try (var it = kv.all()) {
                it.forEachRemaining(e -> visitor.accept(e.key, e.value));
            }
        } catch (InvalidStateStoreException e) {
            // Rebalancing or restoring: these series are absent from this scrape.
        }
    }

    /** Stops accepting requests, closes Kafka Streams within the shutdown timeout, releases everything. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Duration timeout = config.duration(AppSetting.SHUTDOWN_TIMEOUT);
        LOG.info("shutting down (Kafka Streams gets up to {})", timeout);
        http.close();
        // Without static membership, leaving the group lets the other instances take over at once instead of
        // after the session timeout; with it (group.instance.id, as the Helm chart sets), the restarted pod takes
        // its partitions back, so staying avoids a rebalance.
        boolean staticMember = config.kafka().keySet().stream().anyMatch(k -> k.endsWith("group.instance.id"));
        boolean clean = streams.close(CloseOptions.timeout(timeout).withGroupMembershipOperation(staticMember
                ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP : CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        metrics.close();
        LOG.info("loss-monitor stopped{}", clean ? "" : " (Kafka Streams did not finish closing in time)");
    }
}
