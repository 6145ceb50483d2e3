package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.OidcProvider;
import io.lossmonitor.schema.Prediction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The registry client against a real registry that authenticates with OpenID Connect, as Apicurio is deployed
 * with Keycloak: the registry verifies every request's bearer token against the provider's signing keys, and the
 * client gets its tokens from the provider with client credentials.
 */
class RegistryOidcIT {

    private static final String CLIENT = "loss-monitor";
    private static final String SECRET = "oidc-Cl1ent-secret";

    private static OidcProvider provider;
    private static ApicurioRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        provider = new OidcProvider(CLIENT, SECRET, 3600);
        registry = new ApicurioRegistry(List.of("-Dquarkus.oidc.tenant-enabled=true",
                "-Dquarkus.oidc.auth-server-url=" + provider.issuer(), "-Dquarkus.oidc.client-id=registry-api"));
        registry.start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private static Map<String, Object> settings(Map<String, Object> auth) {
        Map<String, Object> config = new HashMap<>(auth);
        config.put(RegistryConfig.URL, registry.url());
        config.put(RegistryConfig.MAX_RETRIES, 0);
        return config;
    }

    @Test
    void tokensFromClientCredentialsAreAcceptedAndAvroRoundTrips() {
        RegistryClient client = new RegistryClient(RegistryConfig.from(settings(Map.of(
                RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_ISSUER, provider.url(),
                RegistryConfig.BEARER_CLIENT_ID, CLIENT, RegistryConfig.BEARER_CLIENT_SECRET, SECRET))));
        Prediction prediction = Contracts.prediction("oidc-1");
        byte[] bytes = new AvroSerializer<Prediction>(client, false).serialize("oidc-predictions", prediction);
        RegistryClient reader = new RegistryClient(RegistryConfig.from(settings(Map.of(
                RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_ISSUER, provider.url(),
                RegistryConfig.BEARER_CLIENT_ID, CLIENT, RegistryConfig.BEARER_CLIENT_SECRET, SECRET))));
        assertThat(new AvroDeserializer<>(reader, AvroDeserializer.specificReader(Prediction.class))
                .deserialize("oidc-predictions", bytes)).isEqualTo(prediction);
    }

    @Test
    void withoutATokenOrWithAForeignOneTheRegistryRefuses() throws Exception {
        RegistryClient anonymous = new RegistryClient(RegistryConfig.from(settings(Map.of())));
        assertThatThrownBy(anonymous::ping).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.httpStatus()).isEqualTo(401));

        // A well-formed token from another provider: another issuer, another signing key.
        try (OidcProvider other = new OidcProvider(CLIENT, SECRET, 3600)) {
            RegistryCredentials foreign = new RegistryCredentials(RegistryConfig.from(settings(Map.of(
                    RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_ISSUER, other.url(),
                    RegistryConfig.BEARER_CLIENT_ID, CLIENT, RegistryConfig.BEARER_CLIENT_SECRET, SECRET))),
                    java.net.http.HttpClient.newHttpClient(), System::currentTimeMillis);
            String token = foreign.authorization().substring("Bearer ".length());
            RegistryClient impostor = new RegistryClient(RegistryConfig.from(settings(Map.of(
                    RegistryConfig.BEARER_SOURCE, "STATIC_TOKEN", RegistryConfig.BEARER_TOKEN, token))));
            assertThatThrownBy(impostor::ping).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.httpStatus()).isEqualTo(401));
        }
    }
}
