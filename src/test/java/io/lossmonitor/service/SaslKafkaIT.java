package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.TlsMaterial;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The service on a broker that requires SASL, configured only through the {@code kafka.*} pass-through settings: it
 * scores with PLAIN and with SCRAM-SHA-256 credentials, over plaintext and over TLS (trusting the broker through
 * {@code kafka.ssl.truststore.*}), never shows a password in its logged configuration, and needs no more than the
 * ACLs the README lists; with a wrong password, or a broker certificate its trust store does not hold, its start
 * fails with that error instead of idling.
 */
class SaslKafkaIT {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = EmbeddedKafka.withSasl();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    private static final String SCRAM_USER = "lossmon-scram";
    private static final String SCRAM_PASSWORD = "scram-Pa55-word";
    /** Not a super user of the broker: allowed only what ACLs grant. */
    private static final String ACL_USER = "lossmon-acl";
    private static final String ACL_PASSWORD = "acl-Pa55-word";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void users() throws Exception {
        try (Admin admin = KAFKA.admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(SCRAM_USER,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), SCRAM_PASSWORD))).all().get();
        }
    }

    private static final String[] PASSWORDS = {EmbeddedKafka.PLAIN_PASSWORD, SCRAM_PASSWORD, "not-the-password"};

    private double scored(LossMonitorService service) throws Exception {
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + service.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        return PrometheusText.sum(PrometheusText.parse(metrics.body()), "lossmon_predictions_total", Map.of("outcome", "scored"));
    }

    /** The client settings (without the {@code kafka.} prefix) of a protocol, a mechanism and a login. */
    private static Map<String, String> client(String protocol, String mechanism, String jaas, Path truststore) {
        Map<String, String> client = new HashMap<>(Map.of("security.protocol", protocol,
                SaslConfigs.SASL_MECHANISM, mechanism, SaslConfigs.SASL_JAAS_CONFIG, jaas));
        if (protocol.equals("SASL_SSL")) {
            client.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.toString());
            client.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
            client.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TlsMaterial.PASSWORD);
        }
        return client;
    }

    private static String bootstrap(String protocol) {
        return protocol.equals("SASL_SSL") ? KAFKA.tlsBootstrapServers() : KAFKA.bootstrapServers();
    }

    private void produce(String prefix, String protocol, String mechanism, String jaas) throws Exception {
        Map<String, Object> producer = new HashMap<>(client(protocol, mechanism, jaas, KAFKA.truststore()));
        producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(protocol));
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, REGISTRY.url())));
        try (KafkaTrafficSink sink = new KafkaTrafficSink(producer, registry, prefix + "-predictions", prefix + "-labels")) {
            // Every prediction labelled, none invalid: 50 predictions, 50 scores.
            Traffic traffic = new Traffic(new TrafficConfig(3, List.of(ModelProfile.parse("fraud:binary:logits")), 50, 50, T0,
                    Duration.ofSeconds(1), 0, 0, 0, 0, 0, 0, null));
            while (traffic.hasNext()) {
                sink.accept(traffic.next());
            }
        }
    }

    private void scoresWith(String app, String protocol, String mechanism, String jaas) throws Exception {
        createTopics(app);
        try (LossMonitorService service = start(app, protocol, mechanism, jaas)) {
            await(mechanism + " client RUNNING").atMost(Duration.ofMinutes(2)).until(() -> service.state() == KafkaStreams.State.RUNNING);
            produce(app, protocol, mechanism, jaas);
            await(mechanism + " scores").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> scored(service) == 50);
        }
    }

    private static void createTopics(String app) throws Exception {
        KAFKA.createTopics(1, app + "-predictions", app + "-labels", app + "-models", app + "-scored-events",
                app + "-late-labels", app + "-dead-letters", app + "-loss-windows");
    }

    private LossMonitorService start(String app, String protocol, String mechanism, String jaas) throws Exception {
        ServiceConfig config = ServiceConfig.load(null, Map.of(), settings(app, protocol, mechanism, jaas, KAFKA.truststore()));
        assertThat(config.describe()).doesNotContain(PASSWORDS).doesNotContain(TlsMaterial.PASSWORD)
                .contains("kafka.sasl.jaas.config = [redacted]");
        LossMonitorService service = new LossMonitorService(config, "test");
        service.start();
        return service;
    }

    private Map<String, String> settings(String app, String protocol, String mechanism, String jaas, Path truststore) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "lossmonitor.bootstrap-servers", bootstrap(protocol),
                "lossmonitor.schema-registry-url", REGISTRY.url(),
                "lossmonitor.application-id", app,
                "lossmonitor.http.address", "127.0.0.1", "lossmonitor.http.port", "0",
                "lossmonitor.state-dir", dir.resolve(app).toString(),
                "lossmonitor.replication-factor", "1", "lossmonitor.standby-replicas", "0"));
        client(protocol, mechanism, jaas, truststore).forEach((k, v) -> settings.put("kafka." + k, v));
        for (String topic : List.of("predictions", "labels", "models", "scored-events", "late-labels", "dead-letters", "loss-windows")) {
            settings.put("lossmonitor.topics." + topic, app + "-" + topic);
        }
        return settings;
    }

    @ParameterizedTest
    @ValueSource(strings = {"SASL_PLAINTEXT", "SASL_SSL"})
    void scoresWithPlainCredentials(String protocol) throws Exception {
        scoresWith("plain-" + protocol.toLowerCase(Locale.ROOT), protocol, "PLAIN",
                EmbeddedKafka.plainLogin(EmbeddedKafka.PLAIN_USER, EmbeddedKafka.PLAIN_PASSWORD));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SASL_PLAINTEXT", "SASL_SSL"})
    void scoresWithScramCredentials(String protocol) throws Exception {
        scoresWith("scram-" + protocol.toLowerCase(Locale.ROOT), protocol, "SCRAM-SHA-256",
                EmbeddedKafka.scramLogin(SCRAM_USER, SCRAM_PASSWORD));
    }

    /**
     * A principal that is not a super user, holding only the ACLs the README lists (the topics named apart from the
     * application id, so that the prefixed grant on the internal topics does not cover them): the service starts,
     * checks its topics and scores.
     */
    @Test
    void scoresWithOnlyTheAclsTheReadmeLists() throws Exception {
        String app = "acl-app";
        String topics = "secured";
        createTopics(topics);
        try (Admin admin = KAFKA.admin()) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(ACL_USER,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), ACL_PASSWORD))).all().get();
            List<AclBinding> acls = new ArrayList<>();
            for (String input : List.of("predictions", "labels", "models")) {
                acls.add(allow(ResourceType.TOPIC, topics + "-" + input, PatternType.LITERAL, AclOperation.READ));
            }
            for (String output : List.of("scored-events", "late-labels", "dead-letters", "loss-windows")) {
                acls.add(allow(ResourceType.TOPIC, topics + "-" + output, PatternType.LITERAL, AclOperation.WRITE));
            }
            for (String topic : List.of("models", "scored-events", "late-labels", "dead-letters", "loss-windows")) {
                acls.add(allow(ResourceType.TOPIC, topics + "-" + topic, PatternType.LITERAL, AclOperation.DESCRIBE_CONFIGS));
            }
            acls.add(allow(ResourceType.TOPIC, app + "-", PatternType.PREFIXED, AclOperation.ALL));
            acls.add(allow(ResourceType.GROUP, app, PatternType.LITERAL, AclOperation.READ));
            acls.add(allow(ResourceType.TRANSACTIONAL_ID, app + "-", PatternType.PREFIXED, AclOperation.WRITE));
            acls.add(allow(ResourceType.TRANSACTIONAL_ID, app + "-", PatternType.PREFIXED, AclOperation.DESCRIBE));
            admin.createAcls(acls).all().get();
        }
        String login = EmbeddedKafka.scramLogin(ACL_USER, ACL_PASSWORD);
        Map<String, Object> asUser = new HashMap<>(client("SASL_PLAINTEXT", "SCRAM-SHA-256", login, KAFKA.truststore()));
        asUser.put("bootstrap.servers", KAFKA.bootstrapServers());
        // The brokers apply new ACLs from the metadata log a moment after the controller accepts them.
        try (Admin user = Admin.create(asUser)) {
            await("the ACLs apply").atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> user.describeConfigs(
                    List.of(new ConfigResource(ConfigResource.Type.TOPIC, topics + "-loss-windows")))
                    .all().get().size() == 1);
        }
        Map<String, String> settings = settings(topics, "SASL_PLAINTEXT", "SCRAM-SHA-256", login, KAFKA.truststore());
        settings.put("lossmonitor.application-id", app);
        try (LossMonitorService service = new LossMonitorService(ServiceConfig.load(null, Map.of(), settings), "test")) {
            service.start();
            await("RUNNING with ACLs").atMost(Duration.ofMinutes(2)).until(() -> service.state() == KafkaStreams.State.RUNNING);
            produce(topics, "SASL_PLAINTEXT", "PLAIN", EmbeddedKafka.plainLogin(EmbeddedKafka.ADMIN_USER,
                    EmbeddedKafka.ADMIN_PASSWORD));
            await("scores with ACLs").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> scored(service) == 50);
            assertThat(service.state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    private static AclBinding allow(ResourceType type, String name, PatternType pattern, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + ACL_USER, "*", operation, AclPermissionType.ALLOW));
    }

    @Test
    void aBrokerCertificateOutsideTheTrustStoreFailsTheStart() throws Exception {
        createTopics("untrusted");
        // A trust store that holds some other certificate for localhost, not the broker's.
        TlsMaterial other = TlsMaterial.create(Files.createDirectories(dir.resolve("other-ca")));
        ServiceConfig config = ServiceConfig.load(null, Map.of(), settings("untrusted", "SASL_SSL", "SCRAM-SHA-256",
                EmbeddedKafka.scramLogin(SCRAM_USER, SCRAM_PASSWORD), other.truststore()));
        // The broker's refusal ends the start wherever it comes first (reading the inputs' partition counts).
        assertThatThrownBy(() -> startAndClose(config)).satisfies(e -> {
            List<Throwable> chain = new ArrayList<>();
            for (Throwable t = e; t != null; t = t.getCause()) {
                chain.add(t);
            }
            assertThat(chain).anySatisfy(t -> assertThat(t).isInstanceOf(SslAuthenticationException.class));
            assertThat(chain).anySatisfy(t -> assertThat(t).isInstanceOf(javax.net.ssl.SSLHandshakeException.class));
        });
    }

    private static void startAndClose(ServiceConfig config) throws Exception {
        try (LossMonitorService service = new LossMonitorService(config, "test")) {
            service.start();
        }
    }

    @Test
    void aWrongPasswordFailsTheStart() throws Exception {
        createTopics("denied");
        ServiceConfig config = ServiceConfig.load(null, Map.of(), settings("denied", "SASL_PLAINTEXT", "SCRAM-SHA-256",
                EmbeddedKafka.scramLogin(SCRAM_USER, "not-the-password"), KAFKA.truststore()));
        // The service's first call to the cluster (the inputs' partition counts) authenticates: the start fails,
        // naming the cause.
        assertThatThrownBy(() -> startAndClose(config)).satisfies(e -> {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertThat(root).isInstanceOf(SaslAuthenticationException.class)
                    .hasMessageContaining("invalid credentials").hasMessageNotContaining("not-the-password");
        });
    }
}
