package io.lossmonitor.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for the Confluent Schema Registry REST API (any server that speaks it: Confluent's, Apicurio's
 * {@code /apis/ccompat/v7}, Redpanda's, Karapace). Thread-safe.
 *
 * <p>Every answer that can be cached is: schemas by id, ids by (subject, schema), the latest version of a subject.
 * After warm-up a serializer or deserializer makes no registry call per record. The caches are bounded LRU maps.
 *
 * <p>Failures: a 4xx answer raises {@link RegistryException} with Confluent's error code at once. A connection
 * failure or 5xx tries the next URL; after every URL failed, the round is retried with exponential backoff up to
 * {@code max.retries} times, then {@link RegistryException#UNREACHABLE} (or the last 5xx) is raised, retriable.
 */
public final class RegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    /** One registered schema: its subject, global id, version within the subject, and the schema. */
    public record RegisteredSchema(String subject, int id, int version, Schema schema) {
    }

    private final RegistryConfig config;
    private final HttpClient http;
    private final RegistryCredentials credentials;
    private final BoundedCache<Integer, Schema> schemasById;
    private final BoundedCache<String, Integer> idsBySubjectAndSchema;
    private final BoundedCache<String, RegisteredSchema> latestBySubject;
    /** Why each schema id known not to be usable is not (see {@link #schemaById}). */
    private final BoundedCache<Integer, String> unusableById;
    private volatile int preferredUrl;

    public RegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .version(HttpClient.Version.HTTP_1_1);
        if (config.tls().configured()) {
            builder.sslContext(sslContext(config.tls()));
        }
        this.http = builder.build();
        this.credentials = new RegistryCredentials(config, http, System::currentTimeMillis);
        this.schemasById = new BoundedCache<>(config.cacheCapacity());
        this.idsBySubjectAndSchema = new BoundedCache<>(config.cacheCapacity());
        this.latestBySubject = new BoundedCache<>(config.cacheCapacity());
        this.unusableById = new BoundedCache<>(config.cacheCapacity());
    }

    public RegistryConfig config() {
        return config;
    }

    /** Registers {@code schema} under {@code subject} (or finds it registered already) and returns its global id. */
    public int register(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(key(subject, schema), k -> {
            JsonNode answer = send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
            int id = answer.path("id").asInt(-1);
            schemasById.put(id, schema);
            return id;
        });
    }

    /**
     * The id of {@code schema} if it is registered under {@code subject}.
     *
     * @throws RegistryException 40401 when the subject does not exist, 40403 when the schema is not registered
     */
    public int lookup(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(key(subject, schema), k -> {
            JsonNode answer = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
            int id = answer.path("id").asInt(-1);
            schemasById.put(id, schema);
            return id;
        });
    }

    /**
     * The schema with global id {@code id}, with the schemas it references (Confluent's schema references: named
     * types registered under subjects of their own) resolved.
     *
     * @throws RegistryException 40403 when no schema has that id; {@link RegistryException#UNUSABLE_SCHEMA} when it
     *     is not Avro (Protobuf, JSON Schema) or does not parse. That answer is kept: a schema id never changes its
     *     schema, so a topic full of such records costs one registry call, not one per record.
     */
    public Schema schemaById(int id) {
        return schemaById(id, config.maxRetries());
    }

    /**
     * The schema with global id {@code id} if one round over the registry's URLs gives it, without the retries and
     * their waits; null when it cannot be had so (unreachable, unknown id, not usable Avro). For a caller that must
     * not wait long and has a way on without it.
     */
    public Schema schemaByIdOnce(int id) {
        try {
            return schemaById(id, 0);
        } catch (RegistryException e) {
            return null;
        }
    }

    private Schema schemaById(int id, int maxRetries) {
        Schema known = schemasById.get(id);
        if (known != null) {
            return known;
        }
        String unusable = unusableById.get(id);
        if (unusable != null) {
            throw new RegistryException(RegistryException.UNUSABLE_SCHEMA, unusable, null);
        }
        Schema schema;
        try {
            schema = resolve("schema id " + id, send("GET", "/schemas/ids/" + id, null, maxRetries));
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.UNUSABLE_SCHEMA) {
                unusableById.put(id, e.getMessage());
            }
            throw e;
        }
        schemasById.put(id, schema);
        return schema;
    }

    /**
     * Checks that a registry answers (lists subjects), with the configured retries.
     *
     * @throws RegistryException when none does
     */
    public void ping() {
        send("GET", "/subjects", null);
    }

    /** The schema with this id if it is cached; never calls the registry (for code that must not block). */
    public Schema cachedSchemaById(int id) {
        return schemasById.get(id);
    }

    /** Whether {@link #schemaById} would answer without calling the registry: with the schema, or its refusal. */
    public boolean answersFromCache(int id) {
        return schemasById.get(id) != null || unusableById.get(id) != null;
    }

    /** The latest version registered under {@code subject} (cached: a new version is seen after a restart). */
    public RegisteredSchema latest(String subject) {
        return latestBySubject.computeIfAbsent(subject, k -> {
            JsonNode answer = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
            Schema schema = resolve("the latest schema of subject " + subject, answer);
            int id = answer.path("id").asInt(-1);
            schemasById.put(id, schema);
            return new RegisteredSchema(subject, id, answer.path("version").asInt(-1), schema);
        });
    }

    /** Whether {@code schema} may be registered under {@code subject} by the subject's compatibility rule. */
    public boolean isCompatible(String subject, Schema schema) {
        JsonNode answer = send("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest",
                schemaBody(schema));
        return answer.path("is_compatible").asBoolean(false);
    }

    /** The versions registered under {@code subject}, oldest first. */
    public List<Integer> versions(String subject) {
        List<Integer> versions = new ArrayList<>();
        send("GET", "/subjects/" + encode(subject) + "/versions", null).forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    private JsonNode send(String method, String path, String body) {
        return send(method, path, body, config.maxRetries());
    }

    private JsonNode send(String method, String path, String body, int maxRetries) {
        List<URI> urls = config.urls();
        RegistryException last = null;
        long wait = config.retryWait().toMillis();
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            if (attempt > 0) {
                sleep(wait);
                wait = Math.min(wait * 2, config.retryMaxWait().toMillis());
            }
            int first = preferredUrl;
            for (int i = 0; i < urls.size(); i++) {
                int index = (first + i) % urls.size();
                URI uri = URI.create(urls.get(index) + path);
                try {
                    HttpResponse<byte[]> response = call(method, uri, body);
                    int status = response.statusCode();
                    if (status / 100 == 2) {
                        preferredUrl = index;
                        return JSON.readTree(response.body());
                    }
                    RegistryException error = error(method, uri, status, response.body());
                    if (!error.isRetriable()) {
                        preferredUrl = index;
                        throw error;
                    }
                    last = error;
                } catch (IOException e) {
                    last = new RegistryException(RegistryException.UNREACHABLE, "schema registry " + urls.get(index)
                            + " did not answer " + method + " " + path + ": " + e, e);
                } catch (RegistryException e) {
                    // From the token endpoint: its answer does not depend on the registry URL.
                    if (!e.isRetriable()) {
                        throw e;
                    }
                    last = e;
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryException(RegistryException.UNREACHABLE, "interrupted while calling the schema"
                            + " registry", e);
                }
            }
            LOG.warn("schema registry call {} {} failed on every URL (attempt {} of {}): {}", method, path,
                    attempt + 1, maxRetries + 1, last.getMessage());
        }
        throw last;
    }

    /** One request; with OAuth tokens, a 401 fetches a new token and sends the request once more. */
    private HttpResponse<byte[]> call(String method, URI uri, String body) throws IOException, InterruptedException {
        String authorization = credentials.authorization();
        HttpResponse<byte[]> response = http.send(request(method, uri, body, authorization),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 401 && credentials.renewable()) {
            credentials.refused(authorization);
            response = http.send(request(method, uri, body, credentials.authorization()),
                    HttpResponse.BodyHandlers.ofByteArray());
        }
        return response;
    }

    private HttpRequest request(String method, URI uri, String body, String authorization) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        RegistryConfig.BearerAuth bearer = config.bearer();
        if (bearer != null && bearer.logicalCluster() != null) {
            builder.header("target-sr-cluster", bearer.logicalCluster());
        }
        if (bearer != null && bearer.identityPoolId() != null) {
            builder.header("Confluent-Identity-Pool-Id", bearer.identityPoolId());
        }
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
        return builder.header("Content-Type", CONTENT_TYPE)
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
    }

    private static RegistryException error(String method, URI uri, int status, byte[] body) {
        int code = status;
        String message = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode json = JSON.readTree(body);
            code = json.path("error_code").asInt(status);
            message = json.path("message").asText(message);
        } catch (IOException | RuntimeException e) {
            // Not JSON (a proxy's error page): keep the status and the raw text.
        }
        return new RegistryException(code, status, "schema registry answered " + status + " (error " + code + ") to "
                + method + " " + uri.getPath() + ": " + message);
    }

    private static String schemaBody(Schema schema) {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        return body.toString();
    }

    /**
     * The Avro schema of a registry answer ({@code schema}, {@code schemaType}, {@code references}): each referenced
     * schema is fetched by subject and version, its own references first, and parsed into the same parser before the
     * schema that names its types, as Confluent's serializers resolve them.
     */
    private Schema resolve(String what, JsonNode answer) {
        String text = avroText(what, answer);
        Map<String, String> referenced = new LinkedHashMap<>();
        collectReferences(what, answer.path("references"), referenced, new HashSet<>());
        Schema.Parser parser = new Schema.Parser();
        try {
            for (String reference : referenced.values()) {
                parser.parse(reference);
            }
            return parser.parse(text);
        } catch (AvroRuntimeException e) {
            // SchemaParseException for bad JSON or Avro, AvroTypeException for a type name nothing defines.
            throw new RegistryException(RegistryException.UNUSABLE_SCHEMA, what + " does not parse as Avro"
                    + (referenced.isEmpty() ? "" : " with its " + referenced.size() + " referenced schemas") + ": "
                    + e.getMessage(), e);
        }
    }

    /** Adds the schema texts {@code references} name to {@code into}, each after the ones it references. */
    private void collectReferences(String what, JsonNode references, Map<String, String> into, Set<String> open) {
        for (JsonNode reference : references) {
            String subject = reference.path("subject").asText();
            int version = reference.path("version").asInt(-1);
            String key = subject + '\u0000' + version;
            if (into.containsKey(key)) {
                continue;
            }
            if (!open.add(key)) {
                throw new RegistryException(RegistryException.UNUSABLE_SCHEMA, what + " has a cycle of schema"
                        + " references through subject " + subject + " version " + version, null);
            }
            String named = what + "'s reference " + reference.path("name").asText() + " (subject " + subject
                    + " version " + version + ")";
            JsonNode answer;
            try {
                answer = send("GET", "/subjects/" + encode(subject) + "/versions/" + version, null);
            } catch (RegistryException e) {
                if (e.isRetriable()) {
                    throw e;
                }
                throw new RegistryException(RegistryException.UNUSABLE_SCHEMA, named + " cannot be fetched: "
                        + e.getMessage(), e);
            }
            collectReferences(named, answer.path("references"), into, open);
            into.put(key, avroText(named, answer));
            open.remove(key);
        }
    }

    private static String avroText(String what, JsonNode answer) {
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RegistryException(RegistryException.UNUSABLE_SCHEMA, what + " is a " + type + " schema:"
                    + " loss-monitor reads Avro only (written with Confluent's KafkaAvroSerializer or loss-monitor's"
                    + " AvroSerializer)", null);
        }
        return answer.path("schema").asText();
    }

    private static String key(String subject, Schema schema) {
        return subject + '\u0000' + schema;
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(RegistryException.UNREACHABLE, "interrupted while waiting to retry the"
                    + " schema registry", e);
        }
    }

    private static SSLContext sslContext(RegistryConfig.TlsSettings tls) {
        try {
            TrustManagerFactory trust = null;
            if (tls.truststoreLocation() != null) {
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(load(tls.truststoreLocation(), tls.truststoreType(), tls.truststorePassword()));
            }
            KeyManagerFactory keys = null;
            if (tls.keystoreLocation() != null) {
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                String keyPassword = tls.keyPassword() != null ? tls.keyPassword() : tls.keystorePassword();
                keys.init(load(tls.keystoreLocation(), tls.keystoreType(), tls.keystorePassword()),
                        keyPassword == null ? null : keyPassword.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS for the schema registry from " + tls + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore load(String location, String type, String password)
            throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, password == null ? null : password.toCharArray());
        }
        return store;
    }
}
