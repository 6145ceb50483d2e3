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
import io.lossmonitor.topology.score.ScoringRule;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
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
 * effective configuration (secrets redacted) and checks its topics on the cluster ({@link ServiceTopics}: each must
 * exist, the outputs must take the service's largest records, and the inputs' partition counts decide the topology's
 * {@link InputRouting}); {@link #start()} checks the registry, then starts; {@link #close()} stops accepting
 * HTTP requests, closes Kafka Streams within the shutdown timeout (committing and flushing), and releases the rest.
 */
public final class LossMonitorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LossMonitorService.class);
    /** Kafka's defaults: the producer's {@code max.request.size}, and the broker's {@code message.max.bytes}. */
    private static final long KAFKA_MAX_REQUEST_SIZE = 1024 * 1024;
    private static final long KAFKA_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

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
        requireUsableSpecs(topology);
        topology = topology.withInputRouting(
                ServiceTopics.check(properties, topology, config.bool(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID)));
        LOG.info("input routing: {}", topology.inputRouting());
        this.topology = topology;
        this.registry = new RegistryClient(RegistryConfig.from(config.registry()));
        this.streams = new KafkaStreams(LossTopology.build(topology, new TopologySerdes(registry)), properties);
        this.metrics = new ServiceMetrics(new StoreMetrics(this::forEachLocal, config.integer(AppSetting.METRICS_MAX_CLASSES),
                config.pattern(AppSetting.METRICS_MODELS_ALLOW), config.pattern(AppSetting.METRICS_MODELS_DENY),
                retireVersionsAfter(config)), version);
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
     * How far behind its model a version's newest window must be to be retired from the metrics: the setting, but
     * never less than {@code max-label-delay}, so that no label can still reach a retired version's counters.
     */
    static Duration retireVersionsAfter(ServiceConfig config) {
        Duration set = config.duration(AppSetting.METRICS_RETIRE_VERSIONS_AFTER);
        Duration labels = config.duration(AppSetting.MAX_LABEL_DELAY);
        return set.isZero() || set.compareTo(labels) >= 0 ? set : labels;
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
                c.duration(AppSetting.WINDOW_FLUSH_INTERVAL), InputRouting.repartition(),
                (long) c.integer(AppSetting.JOIN_RECENT_PREDICTIONS_MB) << 20);
    }

    /**
     * Fails the start when the producer could not send, or new internal topics not take, the largest record an
     * accepted event may produce: such a send would fail its transaction and stop the stream thread at the first
     * large event, where the start can say it now. Only explicit settings can be too small ({@link
     * #streamsProperties} raises the unset ones); the output topics are checked on the cluster ({@link ServiceTopics}).
     *
     * @throws ConfigException naming the settings
     */
    static void requireRoomForRecords(Properties streams, TopologyConfig topology) {
        List<String> problems = new ArrayList<>();
        long maxRequestSize = bytes(streams.getOrDefault(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                streams.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)), KAFKA_MAX_REQUEST_SIZE, "the producer's max.request.size");
        if (topology.maxRecordBytes() > maxRequestSize) {
            problems.add(AppSetting.MAX_SCORES.key() + " " + topology.maxScores() + " lets one event produce records of"
                    + " up to " + topology.maxRecordBytes() + " bytes, more than the producer's max.request.size of "
                    + maxRequestSize + ": raise kafka.producer.max.request.size to at least that (or leave it unset),"
                    + " or lower " + AppSetting.MAX_SCORES.key());
        }
        Object setMessageBytes = streams.get(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG));
        if (setMessageBytes != null) {
            long maxMessageBytes = bytes(setMessageBytes, KAFKA_MAX_MESSAGE_BYTES, "the internal topics' max.message.bytes");
            if (topology.maxRecordBytes() > maxMessageBytes) {
                problems.add(AppSetting.MAX_SCORES.key() + " " + topology.maxScores() + " lets one event produce records"
                        + " of up to " + topology.maxRecordBytes() + " bytes, more than the internal topics'"
                        + " max.message.bytes of " + maxMessageBytes + ": raise kafka.topic.max.message.bytes to at"
                        + " least that (or leave it unset), or lower " + AppSetting.MAX_SCORES.key());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /**
     * Fails the start when a model spec of the configuration can score no prediction at all (a label smoothing over
     * 1, a negative class weight, class names that do not match num-classes, a max-label-delay over the service's,
     * ...): otherwise every prediction of the model would go to the dead-letter topic, from the first one on.
     *
     * @throws ConfigException naming each such spec and what is wrong with it
     */
    static void requireUsableSpecs(TopologyConfig topology) {
        List<String> problems = new ArrayList<>();
        topology.modelSpecs().forEach((model, spec) -> {
            String problem = ScoringRule.problem(model, spec, topology.maxLabelDelay().toMillis());
            if (problem != null) {
                problems.add("the spec of model '" + model + "' (lossmonitor.model." + model + ".*) cannot score any"
                        + " prediction: " + problem);
            }
        });
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    private static long bytes(Object set, long unset, String what) {
        try {
            return set == null ? unset : Long.parseLong(set.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(List.of(what + " '" + set + "' is not a number of bytes"));
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
        // A max-scores raised past what Kafka's 1 MB defaults take needs larger requests and larger messages on the
        // internal topics: the service sets both, unless set explicitly (requireRoomForRecords checks what was set).
        long largest = topology.maxRecordBytes();
        String requestSize = StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (largest > KAFKA_MAX_REQUEST_SIZE && !p.containsKey(requestSize)
                && !p.containsKey(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)) {
            p.put(requestSize, largest);
        }
        String messageBytes = StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (largest > KAFKA_MAX_MESSAGE_BYTES && !p.containsKey(messageBytes)) {
            p.put(messageBytes, largest);
        }
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
