package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.fixtures.RegistryProxy;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.fixtures.TlsMaterial;
import io.lossmonitor.schema.Prediction;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry client against the real registry behind TLS and basic auth (a TLS-terminating, credential-checking
 * proxy: Apicurio's own auth needs an OIDC server): the trust store and credentials settings work, and a wrong
 * password or an untrusted certificate fails at once with a message that says so and never shows the secret.
 */
class RegistrySecurityTest {

    private static final String USER_INFO = "lossmon:s3cr3t-Pa55";

    @TempDir
    static Path dir;

    private static TlsMaterial tls;
    private static RegistryProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        tls = TlsMaterial.create(dir);
        proxy = new RegistryProxy(SharedRegistry.get().url(), tls.serverContext(), USER_INFO);
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static Map<String, Object> settings(String userInfo, boolean trust) {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryConfig.URL, proxy.url());
        config.put(RegistryConfig.MAX_RETRIES, 0);
        if (userInfo != null) {
            config.put(RegistryConfig.CREDENTIALS_SOURCE, "USER_INFO");
            config.put(RegistryConfig.USER_INFO, userInfo);
        }
        if (trust) {
            config.put(RegistryConfig.SSL_PREFIX + "truststore.location", tls.truststore().toString());
            config.put(RegistryConfig.SSL_PREFIX + "truststore.password", TlsMaterial.PASSWORD);
            config.put(RegistryConfig.SSL_PREFIX + "truststore.type", "PKCS12");
        }
        return config;
    }

    @Test
    void registersAndFetchesOverTlsWithBasicAuth() {
        assertThat(proxy.url()).startsWith("https://");
        RegistryClient client = new RegistryClient(RegistryConfig.from(settings(USER_INFO, true)));
        client.ping();
        String subject = "secure-" + UUID.randomUUID() + "-value";
        int id = client.register(subject, Prediction.getClassSchema());
        RegistryClient fresh = new RegistryClient(RegistryConfig.from(settings(USER_INFO, true)));
        assertThat(fresh.schemaById(id)).isEqualTo(Prediction.getClassSchema());
        assertThat(fresh.lookup(subject, Prediction.getClassSchema())).isEqualTo(id);
    }

    @Test
    void credentialsMayComeFromTheUrl() {
        Map<String, Object> config = settings(null, true);
        config.put(RegistryConfig.URL, proxy.url().replace("https://", "https://" + USER_INFO + "@"));
        config.put(RegistryConfig.CREDENTIALS_SOURCE, "URL");
        new RegistryClient(RegistryConfig.from(config)).ping();
    }

    @Test
    void aWrongPasswordIsRefusedAtOnceAndNotRetried() {
        RegistryClient client = new RegistryClient(RegistryConfig.from(settings("lossmon:wrong-guess", true)));
        int before = proxy.requests();
        assertThatThrownBy(client::ping).isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.isRetriable()).isFalse();
            assertThat(e.getMessage()).contains("401").doesNotContain("wrong-guess");
        });
        assertThat(proxy.requests() - before).as("a 401 is not retried").isEqualTo(1);
        assertThatThrownBy(new RegistryClient(RegistryConfig.from(settings(null, true)))::ping)
                .isInstanceOf(RegistryException.class).hasMessageContaining("401");
    }

    @Test
    void anUntrustedCertificateFailsTheHandshake() {
        // Without the trust store the JDK's default CAs apply, and they do not know this self-signed certificate.
        RegistryClient client = new RegistryClient(RegistryConfig.from(settings(USER_INFO, false)));
        assertThatThrownBy(client::ping).isInstanceOf(RegistryException.class)
                .satisfies(e -> assertThat(causes(e)).containsIgnoringCase("certif"))
                .hasMessageNotContaining("s3cr3t");
    }

    private static String causes(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c).append(" | ");
        }
        return all.toString();
    }
}
