package io.lossmonitor.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Serde and client settings, under the same keys as Confluent's serializers so that existing configurations can be
 * pasted in: {@code schema.registry.url} (comma-separated, tried in order with failover),
 * {@code basic.auth.credentials.source} ({@code USER_INFO} or {@code URL}), {@code basic.auth.user.info},
 * {@code auto.register.schemas}, {@code use.latest.version}, {@code key.subject.name.strategy},
 * {@code value.subject.name.strategy}, {@code max.schemas.per.subject} (cache bound), {@code max.retries},
 * {@code retries.wait.ms}, {@code retries.max.wait.ms}, and the TLS settings
 * {@code schema.registry.ssl.{truststore,keystore}.{location,password,type}} and
 * {@code schema.registry.ssl.key.password}; bearer tokens instead of basic auth with
 * {@code bearer.auth.credentials.source} {@code STATIC_TOKEN} ({@code bearer.auth.token}) or {@code OAUTHBEARER}
 * (OAuth client credentials: {@code bearer.auth.issuer.endpoint.url}, {@code bearer.auth.client.id},
 * {@code bearer.auth.client.secret}, optional {@code bearer.auth.scope} and
 * {@code bearer.auth.cache.refresh.threshold.seconds}), plus Confluent Cloud's {@code bearer.auth.logical.cluster}
 * and {@code bearer.auth.identity.pool.id}. One addition: {@code schema.registry.request.timeout.ms}.
 */
public record RegistryConfig(
        List<URI> urls,
        String userInfo,
        boolean autoRegister,
        boolean useLatestVersion,
        SubjectNameStrategy keyStrategy,
        SubjectNameStrategy valueStrategy,
        int cacheCapacity,
        int maxRetries,
        Duration retryWait,
        Duration retryMaxWait,
        Duration requestTimeout,
        TlsSettings tls,
        BearerAuth bearer) {

    public static final String URL = "schema.registry.url";
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String KEY_SUBJECT_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_STRATEGY = "value.subject.name.strategy";
    public static final String CACHE_CAPACITY = "max.schemas.per.subject";
    public static final String MAX_RETRIES = "max.retries";
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String SSL_PREFIX = "schema.registry.ssl.";
    public static final String BEARER_SOURCE = "bearer.auth.credentials.source";
    public static final String BEARER_TOKEN = "bearer.auth.token";
    public static final String BEARER_ISSUER = "bearer.auth.issuer.endpoint.url";
    public static final String BEARER_CLIENT_ID = "bearer.auth.client.id";
    public static final String BEARER_CLIENT_SECRET = "bearer.auth.client.secret";
    public static final String BEARER_SCOPE = "bearer.auth.scope";
    public static final String BEARER_REFRESH_THRESHOLD = "bearer.auth.cache.refresh.threshold.seconds";
    public static final String BEARER_LOGICAL_CLUSTER = "bearer.auth.logical.cluster";
    public static final String BEARER_IDENTITY_POOL = "bearer.auth.identity.pool.id";
    /**
     * Bearer-token authentication: a fixed token, or OAuth client credentials exchanged at {@code issuer} for tokens
     * that are renewed {@code refreshThreshold} before they expire. The two Confluent Cloud headers when set.
     */
    public record BearerAuth(String staticToken, URI issuer, String clientId, String clientSecret, String scope,
                             Duration refreshThreshold, String logicalCluster, String identityPoolId) {

        public boolean oauth() {
            return issuer != null;
        }

        @Override
        public String toString() {
            return "BearerAuth[" + (oauth() ? "client credentials at " + issuer + " for " + clientId : "static token")
                    + ", secrets=[hidden]]";
        }
    }

    /** Key material for TLS to the registry; null locations mean the JDK defaults. */
    public record TlsSettings(String truststoreLocation, String truststorePassword, String truststoreType,
                              String keystoreLocation, String keystorePassword, String keystoreType,
                              String keyPassword) {
        public boolean configured() {
            return truststoreLocation != null || keystoreLocation != null;
        }

        @Override
        public String toString() {
            return "TlsSettings[truststore=" + truststoreLocation + ", keystore=" + keystoreLocation + ", passwords=[hidden]]";
        }
    }

    /** Credentials never appear in logs. */
    @Override
    public String toString() {
        return "RegistryConfig[urls=" + urls + ", userInfo=" + (userInfo == null ? "none" : "[hidden]")
                + ", autoRegister=" + autoRegister + ", useLatestVersion=" + useLatestVersion + ", keyStrategy="
                + keyStrategy + ", valueStrategy=" + valueStrategy + ", cacheCapacity=" + cacheCapacity
                + ", maxRetries=" + maxRetries + ", tls=" + tls + ", bearer=" + (bearer == null ? "none" : bearer) + "]";
    }

    /**
     * Reads the settings from Kafka-style configs.
     *
     * @throws IllegalArgumentException naming the key when a value is missing or malformed
     */
    public static RegistryConfig from(Map<String, ?> configs) {
        Object rawUrls = configs.get(URL);
        if (rawUrls == null || rawUrls.toString().isBlank()) {
            throw new IllegalArgumentException("missing " + URL + ": the schema registry's URL(s), comma-separated");
        }
        List<URI> urls = new ArrayList<>();
        String urlUserInfo = null;
        for (String part : rawUrls.toString().split(",")) {
            String text = part.trim();
            if (text.isEmpty()) {
                continue;
            }
            URI uri = httpUrl(URL, text, "http(s)://host:port[/path]");
            if (uri.getUserInfo() != null) {
                urlUserInfo = uri.getUserInfo();
            }
            urls.add(stripUserInfo(uri));
        }
        String source = string(configs, CREDENTIALS_SOURCE, "URL");
        String userInfo;
        switch (source) {
            case "USER_INFO":
                userInfo = string(configs, USER_INFO, null);
                if (userInfo == null || !userInfo.contains(":")) {
                    throw new IllegalArgumentException(CREDENTIALS_SOURCE + "=USER_INFO needs " + USER_INFO
                            + " as 'user:password'");
                }
                break;
            case "URL":
                userInfo = urlUserInfo;
                break;
            default:
                throw new IllegalArgumentException(CREDENTIALS_SOURCE + " must be USER_INFO or URL, got '" + source + "'");
        }
        BearerAuth bearer = bearer(configs);
        if (bearer != null && userInfo != null) {
            throw new IllegalArgumentException(BEARER_SOURCE + " and basic auth credentials (" + USER_INFO
                    + " or a URL with credentials) are both set: the registry takes one kind");
        }
        TlsSettings tls = new TlsSettings(
                string(configs, SSL_PREFIX + "truststore.location", null),
                string(configs, SSL_PREFIX + "truststore.password", null),
                string(configs, SSL_PREFIX + "truststore.type", "PKCS12"),
                string(configs, SSL_PREFIX + "keystore.location", null),
                string(configs, SSL_PREFIX + "keystore.password", null),
                string(configs, SSL_PREFIX + "keystore.type", "PKCS12"),
                string(configs, SSL_PREFIX + "key.password", null));
        return new RegistryConfig(List.copyOf(urls), userInfo,
                bool(configs, AUTO_REGISTER, true),
                bool(configs, USE_LATEST_VERSION, false),
                SubjectNameStrategy.parse(string(configs, KEY_SUBJECT_STRATEGY, "TopicNameStrategy")),
                SubjectNameStrategy.parse(string(configs, VALUE_SUBJECT_STRATEGY, "TopicNameStrategy")),
                positive(configs, CACHE_CAPACITY, 1000),
                nonNegative(configs, MAX_RETRIES, 3),
                Duration.ofMillis(positive(configs, RETRIES_WAIT_MS, 200)),
                Duration.ofMillis(positive(configs, RETRIES_MAX_WAIT_MS, 5000)),
                Duration.ofMillis(positive(configs, REQUEST_TIMEOUT_MS, 10_000)),
                tls, bearer);
    }

    private static BearerAuth bearer(Map<String, ?> configs) {
        String source = string(configs, BEARER_SOURCE, null);
        String cluster = string(configs, BEARER_LOGICAL_CLUSTER, null);
        String pool = string(configs, BEARER_IDENTITY_POOL, null);
        Duration threshold = Duration.ofSeconds(nonNegative(configs, BEARER_REFRESH_THRESHOLD, 300));
        if (source == null) {
            if (cluster != null || pool != null) {
                throw new IllegalArgumentException(BEARER_LOGICAL_CLUSTER + " and " + BEARER_IDENTITY_POOL
                        + " go with bearer tokens: set " + BEARER_SOURCE);
            }
            return null;
        }
        switch (source) {
            case "STATIC_TOKEN": {
                String token = string(configs, BEARER_TOKEN, null);
                if (token == null || token.isEmpty()) {
                    throw new IllegalArgumentException(BEARER_SOURCE + "=STATIC_TOKEN needs " + BEARER_TOKEN);
                }
                return new BearerAuth(token, null, null, null, null, threshold, cluster, pool);
            }
            case "OAUTHBEARER": {
                List<String> missing = new ArrayList<>();
                for (String key : List.of(BEARER_ISSUER, BEARER_CLIENT_ID, BEARER_CLIENT_SECRET)) {
                    if (string(configs, key, "").isEmpty()) {
                        missing.add(key);
                    }
                }
                if (!missing.isEmpty()) {
                    throw new IllegalArgumentException(BEARER_SOURCE + "=OAUTHBEARER needs " + String.join(", ", missing));
                }
                URI issuer = httpUrl(BEARER_ISSUER, string(configs, BEARER_ISSUER, null), "the token endpoint's http(s) URL");
                return new BearerAuth(null, issuer, string(configs, BEARER_CLIENT_ID, null),
                        string(configs, BEARER_CLIENT_SECRET, null), string(configs, BEARER_SCOPE, null), threshold,
                        cluster, pool);
            }
            default:
                throw new IllegalArgumentException(BEARER_SOURCE + " must be STATIC_TOKEN or OAUTHBEARER, got '"
                        + source + "'");
        }
    }

    /** {@code text} as an http(s) URL with a host, or an error naming {@code key} and what it expects. */
    private static URI httpUrl(String key, String text, String expected) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " holds '" + redactUserInfo(text) + "', which is not a URL", e);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException(key + " holds '" + redactUserInfo(text) + "'; expected " + expected);
        }
        return uri;
    }

    private static URI stripUserInfo(URI uri) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + path);
    }

    private static String redactUserInfo(String url) {
        return url.replaceAll("//[^/@]*@", "//[hidden]@");
    }

    private static String string(Map<String, ?> configs, String key, String fallback) {
        Object value = configs.get(key);
        return value == null ? fallback : value.toString().trim();
    }

    private static boolean bool(Map<String, ?> configs, String key, boolean fallback) {
        Object value = configs.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = value.toString().trim();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(text);
        }
        throw new IllegalArgumentException(key + " must be true or false, got '" + text + "'");
    }

    private static int positive(Map<String, ?> configs, String key, int fallback) {
        int value = integer(configs, key, fallback);
        if (value < 1) {
            throw new IllegalArgumentException(key + " must be >= 1, got " + value);
        }
        return value;
    }

    private static int nonNegative(Map<String, ?> configs, String key, int fallback) {
        int value = integer(configs, key, fallback);
        if (value < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, got " + value);
        }
        return value;
    }

    private static int integer(Map<String, ?> configs, String key, int fallback) {
        Object value = configs.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
        }
    }
}
