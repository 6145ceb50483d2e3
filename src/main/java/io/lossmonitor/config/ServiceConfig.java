package io.lossmonitor.config;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.ModelSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The service's configuration, from four sources, each overriding the one before:
 * <ol>
 *   <li>built-in defaults ({@link AppSetting});</li>
 *   <li>the configuration file (Java properties): {@code lossmonitor.*} settings,
 *       {@code lossmonitor.model.<id>.<field>} model specs, {@code kafka.*} Kafka client properties,
 *       {@code registry.*} schema registry client properties (Confluent's names);</li>
 *   <li>environment variables: {@code LOSSMONITOR_<SETTING>} (e.g. {@code LOSSMONITOR_MAX_LABEL_DELAY}),
 *       {@code LOSSMONITOR_REGISTRY_<PROPERTY>}, and {@code KAFKA_<PROPERTY>} (e.g. {@code KAFKA_SECURITY_PROTOCOL}
 *       for {@code security.protocol}); Kubernetes service-link variables such as {@code KAFKA_PORT} or
 *       {@code KAFKA_SERVICE_HOST} are not Kafka properties and are ignored;</li>
 *   <li>command-line flags.</li>
 * </ol>
 * Every problem is reported at once: unknown keys, malformed values, missing required settings.
 */
public final class ServiceConfig {

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String REGISTRY_PREFIX = "registry.";
    public static final String MODEL_PREFIX = AppSetting.PREFIX + "model.";

    /** Kubernetes adds these for a Service named "kafka"; they are addresses, not Kafka properties. */
    private static final Pattern SERVICE_LINK = Pattern.compile(
            "KAFKA_(SERVICE_HOST|SERVICE_PORT(_.+)?|PORT(_\\d+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?)?)");
    private static final List<String> KAFKA_SCOPES = List.of("producer.", "consumer.", "main.consumer.",
            "restore.consumer.", "global.consumer.", "admin.");
    private static final Set<String> KAFKA_NAMES = kafkaNames();
    private static final List<String> REGISTRY_NAMES = List.of("schema.registry.url", "basic.auth.credentials.source",
            "basic.auth.user.info", "auto.register.schemas", "use.latest.version", "key.subject.name.strategy",
            "value.subject.name.strategy", "max.schemas.per.subject", "max.retries", "retries.wait.ms",
            "retries.max.wait.ms", "schema.registry.request.timeout.ms", "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.truststore.password", "schema.registry.ssl.truststore.type",
            "schema.registry.ssl.keystore.location", "schema.registry.ssl.keystore.password",
            "schema.registry.ssl.keystore.type", "schema.registry.ssl.key.password", "bearer.auth.credentials.source",
            "bearer.auth.token", "bearer.auth.issuer.endpoint.url", "bearer.auth.client.id", "bearer.auth.client.secret",
            "bearer.auth.scope", "bearer.auth.cache.refresh.threshold.seconds", "bearer.auth.logical.cluster",
            "bearer.auth.identity.pool.id");
    private static final List<String> SPEC_FIELDS = List.of("loss", "num-classes", "class-names", "class-weights",
            "pos-weight", "ignore-index", "label-smoothing", "probability-sum-tolerance", "max-label-delay");
    private static final Pattern SECRET = Pattern.compile("(?i).*(password|secret|jaas|user\\.info|token|credential|key\\.pem|keystore\\.key).*");

    private final Map<AppSetting, String> app;
    private final Map<String, String> kafka;
    private final Map<String, String> registry;
    private final Map<String, ModelSpec> specs;
    private final Map<String, String> origins;

    private ServiceConfig(Map<AppSetting, String> app, Map<String, String> kafka, Map<String, String> registry,
                          Map<String, ModelSpec> specs, Map<String, String> origins) {
        this.app = app;
        this.kafka = kafka;
        this.registry = registry;
        this.specs = specs;
        this.origins = origins;
    }

    /**
     * Loads and validates the configuration.
     *
     * @param file  the configuration file, or null
     * @param env   the environment (System.getenv() in production)
     * @param flags settings given on the command line, by their file keys
     * @throws ConfigException listing every problem
     */
    public static ServiceConfig load(Path file, Map<String, String> env, Map<String, String> flags) {
        List<String> problems = new ArrayList<>();
        Map<String, String> merged = new LinkedHashMap<>();
        Map<String, String> origins = new HashMap<>();
        for (AppSetting s : AppSetting.values()) {
            merged.put(s.key(), s.defaultValue());
            origins.put(s.key(), "default");
        }
        if (file != null) {
            Properties props = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(in);
            } catch (IOException e) {
                throw new ConfigException(List.of("cannot read the configuration file " + file + ": " + e.getMessage()));
            }
            for (String key : new TreeSet<>(props.stringPropertyNames())) {
                put(merged, origins, key.trim(), props.getProperty(key).trim(), "file " + file.getFileName(), problems);
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String key = fromEnvironment(e.getKey(), problems);
            if (key != null) {
                put(merged, origins, key, e.getValue().trim(), "environment " + e.getKey(), problems);
            }
        }
        for (Map.Entry<String, String> e : flags.entrySet()) {
            put(merged, origins, e.getKey(), e.getValue(), "command line", problems);
        }

        Map<AppSetting, String> app = new LinkedHashMap<>();
        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> registry = new TreeMap<>();
        Map<String, Map<String, String>> specFields = new TreeMap<>();
        for (Map.Entry<String, String> e : merged.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(KAFKA_PREFIX)) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), e.getValue());
            } else if (key.startsWith(REGISTRY_PREFIX)) {
                registry.put(key.substring(REGISTRY_PREFIX.length()), e.getValue());
            } else if (key.startsWith(MODEL_PREFIX)) {
                String rest = key.substring(MODEL_PREFIX.length());
                int dot = rest.lastIndexOf('.');
                specFields.computeIfAbsent(rest.substring(0, dot), k -> new LinkedHashMap<>()).put(rest.substring(dot + 1), e.getValue());
            } else {
                app.put(setting(key), e.getValue());
            }
        }
        // The two required endpoints may also come in their pass-through spelling.
        if (app.get(AppSetting.BOOTSTRAP_SERVERS).isEmpty() && kafka.containsKey("bootstrap.servers")) {
            app.put(AppSetting.BOOTSTRAP_SERVERS, kafka.get("bootstrap.servers"));
        }
        kafka.remove("bootstrap.servers");
        if (app.get(AppSetting.SCHEMA_REGISTRY_URL).isEmpty() && registry.containsKey("schema.registry.url")) {
            app.put(AppSetting.SCHEMA_REGISTRY_URL, registry.get("schema.registry.url"));
        }
        registry.remove("schema.registry.url");

        ServiceConfig config = new ServiceConfig(app, kafka, registry, new TreeMap<>(), origins);
        config.validate(problems);
        for (Map.Entry<String, Map<String, String>> spec : specFields.entrySet()) {
            try {
                config.specs.put(spec.getKey(), modelSpec(spec.getKey(), spec.getValue()));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    private static void put(Map<String, String> merged, Map<String, String> origins, String key, String value,
                            String origin, List<String> problems) {
        String problem = checkKey(key);
        if (problem != null) {
            problems.add(origin + ": " + problem);
            return;
        }
        merged.put(key, value);
        origins.put(key, origin);
    }

    /** Why a key is not accepted, or null. */
    private static String checkKey(String key) {
        if (key.startsWith(KAFKA_PREFIX)) {
            String name = key.substring(KAFKA_PREFIX.length());
            return isKafkaName(name) ? null : "unknown Kafka client property '" + name + "' (" + key + ")";
        }
        if (key.startsWith(REGISTRY_PREFIX)) {
            String name = key.substring(REGISTRY_PREFIX.length());
            return REGISTRY_NAMES.contains(name) ? null : "unknown schema registry property '" + name + "' (" + key
                    + "); known: " + String.join(", ", REGISTRY_NAMES);
        }
        if (key.startsWith(MODEL_PREFIX)) {
            String rest = key.substring(MODEL_PREFIX.length());
            int dot = rest.lastIndexOf('.');
            if (dot <= 0 || !SPEC_FIELDS.contains(rest.substring(dot + 1))) {
                return "unknown model spec key '" + key + "'; write lossmonitor.model.<model-id>.<field> with a field of "
                        + String.join(", ", SPEC_FIELDS);
            }
            return null;
        }
        if (setting(key) == null) {
            return "unknown setting '" + key + "'" + (key.startsWith(AppSetting.PREFIX) ? ""
                    : "; Kafka properties take the prefix 'kafka.', registry properties 'registry.'");
        }
        return null;
    }

    private static String fromEnvironment(String name, List<String> problems) {
        if (name.startsWith("KAFKA_")) {
            if (SERVICE_LINK.matcher(name).matches()) {
                return null;
            }
            return KAFKA_PREFIX + name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
        }
        if (name.startsWith("LOSSMONITOR_REGISTRY_")) {
            for (String registryName : REGISTRY_NAMES) {
                if (AppSetting.normalize(REGISTRY_PREFIX + registryName).equals(name.substring("LOSSMONITOR_".length()))) {
                    return REGISTRY_PREFIX + registryName;
                }
            }
            problems.add("environment " + name + ": unknown schema registry property");
            return null;
        }
        if (name.startsWith("LOSSMONITOR_")) {
            for (AppSetting s : AppSetting.values()) {
                if (s.envName().equals(name)) {
                    return s.key();
                }
            }
            problems.add("environment " + name + ": unknown setting; known: "
                    + String.join(", ", Arrays.stream(AppSetting.values()).map(AppSetting::envName).toList()));
        }
        return null;
    }

    private static AppSetting setting(String key) {
        for (AppSetting s : AppSetting.values()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        return null;
    }

    private static boolean isKafkaName(String name) {
        if (name.startsWith("topic.")) {
            return true;
        }
        for (String scope : KAFKA_SCOPES) {
            if (name.startsWith(scope)) {
                return KAFKA_NAMES.contains(name.substring(scope.length()));
            }
        }
        return KAFKA_NAMES.contains(name);
    }

    private static Set<String> kafkaNames() {
        Set<String> names = new TreeSet<>(StreamsConfig.configDef().names());
        names.addAll(ProducerConfig.configNames());
        names.addAll(ConsumerConfig.configNames());
        names.addAll(AdminClientConfig.configNames());
        return names;
    }

    private void validate(List<String> problems) {
        if (get(AppSetting.BOOTSTRAP_SERVERS).isBlank()) {
            problems.add("missing lossmonitor.bootstrap-servers (or kafka.bootstrap.servers, KAFKA_BOOTSTRAP_SERVERS,"
                    + " --bootstrap-servers): the Kafka cluster to read from");
        }
        if (get(AppSetting.SCHEMA_REGISTRY_URL).isBlank()) {
            problems.add("missing lossmonitor.schema-registry-url (or registry.schema.registry.url,"
                    + " --schema-registry-url): the schema registry of the input topics");
        }
        for (AppSetting s : List.of(AppSetting.MAX_LABEL_DELAY, AppSetting.EARLY_LABEL_TTL, AppSetting.MAX_CLOCK_SKEW,
                AppSetting.PUNCTUATE_INTERVAL, AppSetting.PREDICTION_WINDOW_GRACE, AppSetting.WINDOW_FLUSH_INTERVAL,
                AppSetting.SHUTDOWN_TIMEOUT,
                AppSetting.STARTUP_GRACE)) {
            check(problems, s, () -> duration(s));
        }
        check(problems, AppSetting.WINDOWS, this::windows);
        for (AppSetting s : List.of(AppSetting.HTTP_PORT, AppSetting.REPLICATION_FACTOR, AppSetting.STANDBY_REPLICAS,
                AppSetting.MAX_SCORES, AppSetting.PARTITIONS, AppSetting.METRICS_MAX_CLASSES, AppSetting.QUERY_MAX_WINDOWS,
                AppSetting.ROCKSDB_MEMORY_MB, AppSetting.MAX_PENDING_PREDICTIONS, AppSetting.JOIN_RECENT_PREDICTIONS_MB)) {
            check(problems, s, () -> integer(s));
        }
        check(problems, AppSetting.INPUTS_KEYED_BY_PREDICTION_ID, () -> bool(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID));
        if (problems.isEmpty() && integer(AppSetting.JOIN_RECENT_PREDICTIONS_MB) < 0) {
            problems.add(AppSetting.JOIN_RECENT_PREDICTIONS_MB.key() + " must be >= 0 (0: none), got "
                    + get(AppSetting.JOIN_RECENT_PREDICTIONS_MB));
        }
        if (problems.isEmpty() && (integer(AppSetting.HTTP_PORT) < 0 || integer(AppSetting.HTTP_PORT) > 65535)) {
            problems.add(AppSetting.HTTP_PORT.key() + " must be a port number 0..65535, got " + get(AppSetting.HTTP_PORT));
        }
        for (AppSetting s : List.of(AppSetting.METRICS_MODELS_ALLOW, AppSetting.METRICS_MODELS_DENY)) {
            check(problems, s, () -> Pattern.compile(get(s)));
        }
        String server = get(AppSetting.APPLICATION_SERVER);
        if (!server.isEmpty() && !server.matches("[^:\\s]+:\\d{1,5}")) {
            problems.add(AppSetting.APPLICATION_SERVER.key() + " must be host:port, got '" + server + "'");
        }
    }

    private void check(List<String> problems, AppSetting s, Runnable parse) {
        try {
            parse.run();
        } catch (IllegalArgumentException e) {
            problems.add(s.key() + " (from " + origins.get(s.key()) + "): " + e.getMessage());
        }
    }

    private static ModelSpec modelSpec(String id, Map<String, String> fields) {
        ModelSpec.Builder b = ModelSpec.newBuilder().setModelId(id);
        String where = MODEL_PREFIX + id + ".";
        try {
            for (Map.Entry<String, String> f : fields.entrySet()) {
                String v = f.getValue();
                switch (f.getKey()) {
                    case "loss" -> b.setLoss(LossKind.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_')));
                    case "num-classes" -> b.setNumClasses(Integer.parseInt(v));
                    case "class-names" -> b.setClassNames(Arrays.stream(v.split(",")).map(String::trim).toList());
                    case "class-weights" -> b.setClassWeights(doubles(v));
                    case "pos-weight" -> b.setPosWeight(doubles(v));
                    case "ignore-index" -> b.setIgnoreIndex(Integer.parseInt(v));
                    case "label-smoothing" -> b.setLabelSmoothing(Double.parseDouble(v));
                    case "probability-sum-tolerance" -> b.setProbabilitySumTolerance(Double.parseDouble(v));
                    case "max-label-delay" -> b.setMaxLabelDelayMs(Durations.parse(v).toMillis());
                    default -> throw new IllegalArgumentException("unknown field");
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "*: " + e.getMessage(), e);
        }
        return b.build();
    }

    private static List<Double> doubles(String v) {
        return Arrays.stream(v.split(",")).map(String::trim).map(Double::valueOf).toList();
    }

    public String get(AppSetting s) {
        return app.get(s);
    }

    public Duration duration(AppSetting s) {
        return Durations.parse(get(s));
    }

    public int integer(AppSetting s) {
        try {
            return Integer.parseInt(get(s).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + get(s) + "' is not a whole number");
        }
    }

    public boolean bool(AppSetting s) {
        String v = get(s).trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("'" + get(s) + "' is not true or false");
        }
        return v.equals("true");
    }

    public List<Duration> windows() {
        List<Duration> sizes = new ArrayList<>();
        for (String part : get(AppSetting.WINDOWS).split(",")) {
            sizes.add(Durations.parse(part.trim()));
        }
        return sizes;
    }

    public Pattern pattern(AppSetting s) {
        return get(s).isEmpty() ? null : Pattern.compile(get(s));
    }

    /** Kafka client properties given with the {@code kafka.} prefix, without it. */
    public Map<String, String> kafka() {
        return kafka;
    }

    /** Schema registry client properties (Confluent's names), including {@code schema.registry.url}. */
    public Map<String, Object> registry() {
        Map<String, Object> out = new HashMap<>(registry);
        out.put("schema.registry.url", get(AppSetting.SCHEMA_REGISTRY_URL));
        return out;
    }

    public Map<String, ModelSpec> modelSpecs() {
        return specs;
    }

    /** Every effective setting with where it came from, secrets redacted: for the start-up log. */
    public String describe() {
        StringBuilder out = new StringBuilder("effective configuration:");
        for (Map.Entry<AppSetting, String> e : app.entrySet()) {
            line(out, e.getKey().key(), redact(e.getKey().key(), e.getValue()), origins.get(e.getKey().key()));
        }
        kafka.forEach((k, v) -> line(out, KAFKA_PREFIX + k, redact(k, v), origins.get(KAFKA_PREFIX + k)));
        registry.forEach((k, v) -> line(out, REGISTRY_PREFIX + k, redact(k, v), origins.get(REGISTRY_PREFIX + k)));
        specs.forEach((k, v) -> line(out, MODEL_PREFIX + k, v.toString(), "file"));
        return out.toString();
    }

    private static void line(StringBuilder out, String key, String value, String origin) {
        out.append("\n  ").append(key).append(" = ").append(value).append("   (").append(origin == null ? "derived" : origin)
                .append(')');
    }

    /** Secret-looking values are replaced; URLs lose their credentials. */
    public static String redact(String key, String value) {
        if (SECRET.matcher(key).matches()) {
            return "[redacted]";
        }
        return redactUrls(value);
    }

    /** {@code text} with the credentials of any URL in it (scheme://user:password@host) replaced. */
    public static String redactUrls(String text) {
        return text.replaceAll("//[^/@\\s]*@", "//[redacted]@");
    }
}
