package io.lossmonitor.config;

import java.util.List;

/** The service's own settings: {@code lossmonitor.<name>} in the file, {@code LOSSMONITOR_<NAME>} in the environment. */
public enum AppSetting {
    APPLICATION_ID("application-id", "loss-monitor", "Kafka Streams application.id: instances with the same id share the work."),
    BOOTSTRAP_SERVERS("bootstrap-servers", "", "Kafka bootstrap servers (required; or kafka.bootstrap.servers)."),
    SCHEMA_REGISTRY_URL("schema-registry-url", "", "Schema registry URL(s), Confluent API (required; or registry.schema.registry.url)."),
    STATE_DIR("state-dir", System.getProperty("java.io.tmpdir") + "/loss-monitor", "Where Kafka Streams keeps its state stores."),
    HTTP_ADDRESS("http.address", "0.0.0.0", "Address the HTTP server (metrics, health, query API) binds."),
    HTTP_PORT("http.port", "8080", "Port of the HTTP server."),
    APPLICATION_SERVER("application-server", "", "host:port other instances reach this one at, for query forwarding (default: none)."),
    REPLICATION_FACTOR("replication-factor", "3", "Replication factor of internal topics."),
    STANDBY_REPLICAS("standby-replicas", "1", "Standby replicas of state per task."),
    PREDICTIONS_TOPIC("topics.predictions", "predictions", "Input: predictions (Avro Prediction)."),
    LABELS_TOPIC("topics.labels", "labels", "Input: labels (Avro Label)."),
    MODELS_TOPIC("topics.models", "models", "Input: compacted model specs (Avro ModelSpec, keyed by model id)."),
    SCORED_EVENTS_TOPIC("topics.scored-events", "scored-events", "Output: scored events (Avro ScoredEvent)."),
    LATE_LABELS_TOPIC("topics.late-labels", "late-labels", "Output: labels that could not be joined, as produced."),
    DEAD_LETTERS_TOPIC("topics.dead-letters", "loss-monitor-dead-letters", "Output: invalid records, as produced, reason in headers."),
    LOSS_WINDOWS_TOPIC("topics.loss-windows", "loss-windows", "Output: window updates (Avro LossWindow), compacted."),
    MAX_LABEL_DELAY("max-label-delay", "7d", "How long after a prediction its label is still joined; also the windows' grace."),
    EARLY_LABEL_TTL("early-label-ttl", "1h", "How long a label waits for its prediction."),
    MAX_CLOCK_SKEW("max-clock-skew", "1h", "How far a payload timestamp may be ahead of its record's time."),
    PUNCTUATE_INTERVAL("punctuate-interval", "10s", "How often (stream time) expired join state is swept."),
    MAX_SCORES("max-scores", "10000", "Largest score or target vector accepted; also bounds an input record's size"
            + " (16 bytes per score plus 32 KiB), so that every record derived from it fits Kafka's default 1 MB limit."),
    MAX_PENDING_PREDICTIONS("max-pending-predictions", "1000000", "Pending predictions one join task holds (0: no limit); beyond it the oldest is expired early and counted as evicted."),
    JOIN_RECENT_PREDICTIONS_MB("join.recent-predictions-mb", "8", "Heap per join task, in MB, for the pending predictions it stored most recently: a label that comes while its prediction is still held is joined without a RocksDB read (0: none)."),
    PARTITIONS("partitions", "0", "Partitions of the join-input repartition topic (0: as many as the inputs). A value other than the inputs' common partition count sends every input record through it."),
    INPUTS_KEYED_BY_PREDICTION_ID("inputs-keyed-by-prediction-id", "false", "true: producers promise to key predictions and labels by prediction id (default partitioner, same partition count); a record elsewhere is dead-lettered (WRONG_PARTITION). false: records already in their prediction id's partition are joined where they are, the others repartitioned."),
    WINDOWS("windows", "1m,1h,1d", "Window sizes, comma-separated."),
    PREDICTION_WINDOW_GRACE("prediction-window-grace", "1h", "Grace of the label-free prediction windows."),
    WINDOW_FLUSH_INTERVAL("window-flush-interval", "1s", "How often each join task sends its pre-aggregated scores to the windows: the most a window update lags its score."),
    SHUTDOWN_TIMEOUT("shutdown-timeout", "30s", "How long a shutdown waits for Kafka Streams to close."),
    STARTUP_GRACE("startup-grace", "30m", "How long the client may take to first reach RUNNING (restoring state) before /health/live fails."),
    METRICS_MAX_CLASSES("metrics.max-classes", "20", "Class series per model; the rest are folded into class other."),
    METRICS_MODELS_ALLOW("metrics.models.allow", ".*", "Regex of model ids exported as metrics."),
    METRICS_MODELS_DENY("metrics.models.deny", "", "Regex of model ids not exported (applied after allow)."),
    METRICS_RETIRE_VERSIONS_AFTER("metrics.retire-versions-after", "7d", "A model version whose newest window ended this long before the model's newest (event time) is no longer exported (at least max-label-delay); 0d keeps every version."),
    ROCKSDB_MEMORY_MB("rocksdb.memory-mb", "256", "RocksDB memory of the process (block cache with memtables counted in), in MB."),
    QUERY_MAX_WINDOWS("query.max-windows", "10000", "Most windows one query API answer may hold.");

    public static final String PREFIX = "lossmonitor.";

    private final String key;
    private final String defaultValue;
    private final String doc;

    AppSetting(String key, String defaultValue, String doc) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.doc = doc;
    }

    public String key() {
        return PREFIX + key;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    /** {@code LOSSMONITOR_MAX_LABEL_DELAY} for {@code lossmonitor.max-label-delay}. */
    public String envName() {
        return normalize(key());
    }

    static String normalize(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public static List<AppSetting> all() {
        return List.of(values());
    }
}
