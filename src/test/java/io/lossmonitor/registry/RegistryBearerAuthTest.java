package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.fixtures.RegistryProxy;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.fixtures.OidcProvider;
import io.lossmonitor.schema.Label;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The registry client with bearer tokens, against the real registry behind a proxy that accepts only the tokens an
 * OAuth token endpoint issued (Apicurio's own token validation needs an OIDC server): client credentials exchanged
 * for a token that is reused, renewed before it expires and fetched again when the registry refuses it; a fixed
 * token; Confluent Cloud's routing headers; and errors that name what failed without showing a secret.
 */
class RegistryBearerAuthTest {

    private static final String CLIENT = "loss-monitor";
    private static final String SECRET = "s3cr3t-client-Pa55";

    private OidcProvider tokens;
    private RegistryProxy proxy;

    @BeforeEach
    void start() throws Exception {
        tokens = new OidcProvider(CLIENT, SECRET, 3600);
        proxy = new RegistryProxy(SharedRegistry.get().url(), null, tokens::accepts);
    }

    @AfterEach
    void stop() {
        proxy.close();
        tokens.close();
    }

    private Map<String, Object> oauth(String secret) {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryConfig.URL, proxy.url());
        config.put(RegistryConfig.MAX_RETRIES, 1);
        config.put(RegistryConfig.RETRIES_WAIT_MS, 50);
        config.put(RegistryConfig.BEARER_SOURCE, "OAUTHBEARER");
        config.put(RegistryConfig.BEARER_ISSUER, tokens.url());
        config.put(RegistryConfig.BEARER_CLIENT_ID, CLIENT);
        config.put(RegistryConfig.BEARER_CLIENT_SECRET, secret);
        config.put(RegistryConfig.BEARER_SCOPE, "registry:read registry:write");
        return config;
    }

    /** Credentials from {@code provider} on a clock the test sets. */
    private RegistryCredentials credentials(OidcProvider provider, int refreshThresholdSeconds, AtomicLong clock) {
        Map<String, Object> settings = oauth(SECRET);
        settings.put(RegistryConfig.BEARER_ISSUER, provider.url());
        settings.put(RegistryConfig.BEARER_REFRESH_THRESHOLD, refreshThresholdSeconds);
        return new RegistryCredentials(RegistryConfig.from(settings), HttpClient.newHttpClient(), clock::get);
    }

    private static String subject() {
        return "bearer-" + UUID.randomUUID().toString().substring(0, 8) + "-value";
    }

    @Test
    void clientCredentialsBuyOneTokenThatServesEveryCall() {
        RegistryClient client = new RegistryClient(RegistryConfig.from(oauth(SECRET)));
        int id = client.register(subject(), Label.getClassSchema());
        RegistryClient cold = new RegistryClient(RegistryConfig.from(oauth(SECRET)));
        assertThat(cold.schemaById(id)).isEqualTo(Label.getClassSchema());
        cold.ping();

        assertThat(tokens.requests()).isEqualTo(2);
        assertThat(tokens.lastForm()).isEqualTo(Map.of("grant_type", "client_credentials",
                "scope", "registry:read registry:write"));
        assertThat(proxy.lastHeaders().get("authorization")).startsWith("Bearer eyJ");
    }

    @Test
    void aRevokedTokenIsReplacedAndTheCallSentAgain() {
        RegistryClient client = new RegistryClient(RegistryConfig.from(oauth(SECRET)));
        client.ping();
        tokens.revokeAll();
        int before = proxy.requests();
        int id = client.register(subject(), Label.getClassSchema());
        assertThat(id).isPositive();
        assertThat(tokens.requests()).isEqualTo(2);
        // The refused call and the same call with the new token.
        assertThat(proxy.requests() - before).isEqualTo(2);
    }

    @Test
    void wrongClientCredentialsFailAtOnceNamingTheEndpointNotTheSecret() {
        RegistryClient client = new RegistryClient(RegistryConfig.from(oauth("wrong-secret")));
        assertThatThrownBy(client::ping)
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isRetriable()).isFalse())
                .hasMessage("the token endpoint " + tokens.url() + " answered 401 to the client credentials of '"
                        + CLIENT + "': invalid_client: Invalid client credentials")
                .message().doesNotContain("wrong-secret");
        assertThat(tokens.requests()).isEqualTo(1);
        assertThat(proxy.requests()).isZero();
    }

    @Test
    void anUnreachableTokenEndpointIsRetriable() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Map<String, Object> config = oauth(SECRET);
        config.put(RegistryConfig.BEARER_ISSUER, "http://127.0.0.1:" + closed + "/token");
        RegistryClient client = new RegistryClient(RegistryConfig.from(config));
        assertThatThrownBy(client::ping)
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.isRetriable()).isTrue();
                    assertThat(e.errorCode()).isEqualTo(RegistryException.UNREACHABLE);
                })
                .hasMessageStartingWith("the token endpoint http://127.0.0.1:" + closed + "/token did not answer");
        assertThat(proxy.requests()).isZero();
    }

    /**
     * A token valid for {@code lifetime} seconds is renewed {@code threshold} seconds before it expires, but never
     * before half its lifetime: 600 s less 120 s; 60 s less the 300 s threshold capped at 30 s.
     */
    @ParameterizedTest(name = "valid {0} s, threshold {1} s: renewed after {2} s")
    @CsvSource({"600, 120, 480", "60, 300, 30"})
    void aTokenIsRenewedAheadOfItsExpiry(long lifetime, int threshold, long renewedAfter) throws Exception {
        try (OidcProvider provider = new OidcProvider(CLIENT, SECRET, lifetime)) {
            AtomicLong now = new AtomicLong(1_000_000);
            RegistryCredentials credentials = credentials(provider, threshold, now);
            String first = credentials.authorization();
            now.addAndGet(renewedAfter * 1000 - 1);
            assertThat(credentials.authorization()).isEqualTo(first);
            assertThat(provider.requests()).isEqualTo(1);
            now.addAndGet(1);
            String second = credentials.authorization();
            assertThat(second).isNotEqualTo(first);
            assertThat(provider.accepts(second)).isTrue();
            assertThat(provider.requests()).isEqualTo(2);
        }
    }

    @Test
    void aLifetimeGivenAsTextOrNotAtAll() throws Exception {
        try (OidcProvider provider = new OidcProvider(CLIENT, SECRET, 600)) {
            AtomicLong now = new AtomicLong(0);
            provider.expiresIn(OidcProvider.ExpiresIn.STRING);
            RegistryCredentials credentials = credentials(provider, 100, now);
            String first = credentials.authorization();
            now.set(499_999);
            assertThat(credentials.authorization()).isEqualTo(first);
            provider.expiresIn(OidcProvider.ExpiresIn.ABSENT);
            now.set(500_000);
            String second = credentials.authorization();
            assertThat(second).isNotEqualTo(first);
            // No lifetime given: used for a minute, renewed half-way (the threshold is longer than half of it).
            now.set(500_000 + RegistryCredentials.UNKNOWN_LIFETIME.toMillis() / 2 - 1);
            assertThat(credentials.authorization()).isEqualTo(second);
            now.set(500_000 + RegistryCredentials.UNKNOWN_LIFETIME.toMillis() / 2);
            assertThat(credentials.authorization()).isNotEqualTo(second);
            assertThat(provider.requests()).isEqualTo(3);
        }
    }

    @Test
    void aStaticTokenAndConfluentCloudsHeaders() throws Exception {
        try (RegistryProxy fixed = new RegistryProxy(SharedRegistry.get().url(), null, "Bearer static-Pa55"::equals)) {
            Map<String, Object> config = Map.of(RegistryConfig.URL, fixed.url(), RegistryConfig.MAX_RETRIES, 0,
                    RegistryConfig.BEARER_SOURCE, "STATIC_TOKEN", RegistryConfig.BEARER_TOKEN, "static-Pa55",
                    RegistryConfig.BEARER_LOGICAL_CLUSTER, "lsrc-12345", RegistryConfig.BEARER_IDENTITY_POOL, "pool-abcd");
            RegistryClient client = new RegistryClient(RegistryConfig.from(config));
            int id = client.register(subject(), Label.getClassSchema());
            assertThat(client.schemaById(id)).isEqualTo(Label.getClassSchema());
            assertThat(fixed.lastHeaders()).containsEntry("target-sr-cluster", "lsrc-12345")
                    .containsEntry("confluent-identity-pool-id", "pool-abcd");

            Map<String, Object> wrong = new HashMap<>(config);
            wrong.put(RegistryConfig.BEARER_TOKEN, "stale");
            int before = fixed.requests();
            assertThatThrownBy(() -> new RegistryClient(RegistryConfig.from(wrong)).ping())
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.httpStatus()).isEqualTo(401);
                        assertThat(e.isRetriable()).isFalse();
                    });
            // A fixed token cannot be renewed: refused once, not sent again.
            assertThat(fixed.requests() - before).isEqualTo(1);
        }
    }
}
