package io.lossmonitor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceConfigTest {

    private static final Map<String, String> REQUIRED = Map.of(
            "lossmonitor.bootstrap-servers", "k:9092", "lossmonitor.schema-registry-url", "http://r:8081");

    @TempDir
    Path dir;

    private Path file(String content) throws Exception {
        return Files.writeString(dir.resolve("loss-monitor.properties"), content);
    }

    @Test
    void defaultsThenFileThenEnvironmentThenFlags() throws Exception {
        Path f = file("""
                lossmonitor.max-label-delay = 3d
                lossmonitor.early-label-ttl = 2h
                lossmonitor.http.port = 9000
                """);
        ServiceConfig config = ServiceConfig.load(f,
                Map.of("LOSSMONITOR_EARLY_LABEL_TTL", "30m", "LOSSMONITOR_HTTP_PORT", "9100"),
                merge(REQUIRED, Map.of("lossmonitor.http.port", "9200")));
        assertThat(config.duration(AppSetting.PUNCTUATE_INTERVAL)).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.duration(AppSetting.MAX_LABEL_DELAY)).isEqualTo(Duration.ofDays(3));
        assertThat(config.duration(AppSetting.EARLY_LABEL_TTL)).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.integer(AppSetting.HTTP_PORT)).isEqualTo(9200);
        assertThat(config.describe())
                .contains("lossmonitor.max-label-delay = 3d   (file loss-monitor.properties)")
                .contains("lossmonitor.early-label-ttl = 30m   (environment LOSSMONITOR_EARLY_LABEL_TTL)")
                .contains("lossmonitor.http.port = 9200   (command line)")
                .contains("lossmonitor.punctuate-interval = 10s   (default)");
    }

    @Test
    void kafkaPropertiesPassThroughButServiceLinksDoNot() throws Exception {
        Path f = file("kafka.security.protocol = SSL\nkafka.producer.linger.ms = 5\n");
        ServiceConfig config = ServiceConfig.load(f, Map.of(
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_PORT", "tcp://10.0.0.7:9092",
                "KAFKA_PORT_9092_TCP_ADDR", "10.0.0.7",
                "KAFKA_SERVICE_HOST", "10.0.0.7",
                "KAFKA_SERVICE_PORT_BROKER", "9092",
                "HOME", "/root"), REQUIRED);
        assertThat(config.kafka()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512", "producer.linger.ms", "5"));
    }

    @Test
    void theEndpointsMayComeInTheirPassThroughSpelling() {
        ServiceConfig config = ServiceConfig.load(null, Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1,b:2"),
                Map.of("registry.schema.registry.url", "http://reg:8081", "registry.basic.auth.user.info", "u:p"));
        assertThat(config.get(AppSetting.BOOTSTRAP_SERVERS)).isEqualTo("a:1,b:2");
        assertThat(config.registry()).containsEntry("schema.registry.url", "http://reg:8081")
                .containsEntry("basic.auth.user.info", "u:p");
        assertThat(config.kafka()).doesNotContainKey("bootstrap.servers");
    }

    @Test
    void registryBearerSettingsComeFromTheEnvironmentToo() {
        ServiceConfig config = ServiceConfig.load(null, Map.of("LOSSMONITOR_REGISTRY_BEARER_AUTH_CLIENT_SECRET", "x",
                "LOSSMONITOR_REGISTRY_BEARER_AUTH_CREDENTIALS_SOURCE", "OAUTHBEARER"),
                Map.of("lossmonitor.schema-registry-url", "http://reg:8081", "lossmonitor.bootstrap-servers", "k:9092"));
        assertThat(config.registry()).containsEntry("bearer.auth.client.secret", "x")
                .containsEntry("bearer.auth.credentials.source", "OAUTHBEARER");
    }

    @Test
    void modelSpecsFromTheFile() throws Exception {
        Path f = file("""
                lossmonitor.model.fraud.v2.num-classes = 1
                lossmonitor.model.fraud.v2.pos-weight = 3.5
                lossmonitor.model.ranker.class-names = cat, dog, bird
                lossmonitor.model.ranker.class-weights = 1, 2, 0.5
                lossmonitor.model.ranker.label-smoothing = 0.1
                lossmonitor.model.ranker.max-label-delay = 2d
                lossmonitor.model.ranker.loss = cross-entropy
                """);
        ServiceConfig config = ServiceConfig.load(f, Map.of(), REQUIRED);
        assertThat(config.modelSpecs()).containsOnlyKeys("fraud.v2", "ranker");
        var ranker = config.modelSpecs().get("ranker");
        assertThat(ranker.getClassNames()).containsExactly("cat", "dog", "bird");
        assertThat(ranker.getClassWeights()).containsExactly(1.0, 2.0, 0.5);
        assertThat(ranker.getMaxLabelDelayMs()).isEqualTo(2 * 86_400_000L);
        assertThat(config.modelSpecs().get("fraud.v2").getPosWeight()).containsExactly(3.5);
    }

    @Test
    void everyProblemIsReportedPrecisely() throws Exception {
        Path f = file("""
                lossmonitor.max-label-delay = 7 days
                lossmonitor.windows = 1m, soon
                lossmonitor.http.port = eighty
                lossmonitor.metrics.models.allow = ([
                lossmonitor.application-server = nohost
                lossmonitor.max-label-dely = 1d
                kafka.bogus.property = 1
                registry.schema.registry.flavour = x
                lossmonitor.model.ranker.colour = red
                max-label-delay = 1d
                """);
        assertThatThrownBy(() -> ServiceConfig.load(f, Map.of("LOSSMONITOR_NOPE", "1"), Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).satisfiesExactlyInAnyOrder(
                        p -> assertThat(p).contains("unknown setting 'lossmonitor.max-label-dely'"),
                        p -> assertThat(p).contains("unknown Kafka client property 'bogus.property'"),
                        p -> assertThat(p).contains("unknown schema registry property 'schema.registry.flavour'"),
                        p -> assertThat(p).contains("unknown model spec key 'lossmonitor.model.ranker.colour'"),
                        p -> assertThat(p).contains("unknown setting 'max-label-delay'; Kafka properties take the prefix"),
                        p -> assertThat(p).contains("environment LOSSMONITOR_NOPE: unknown setting"),
                        p -> assertThat(p).contains("missing lossmonitor.bootstrap-servers"),
                        p -> assertThat(p).contains("missing lossmonitor.schema-registry-url"),
                        p -> assertThat(p).contains("lossmonitor.max-label-delay (from file loss-monitor.properties):"
                                + " '7 days' is not a duration"),
                        p -> assertThat(p).contains("lossmonitor.windows").contains("'soon' is not a duration"),
                        p -> assertThat(p).contains("lossmonitor.http.port").contains("'eighty' is not a whole number"),
                        p -> assertThat(p).contains("lossmonitor.metrics.models.allow"),
                        p -> assertThat(p).contains("lossmonitor.application-server must be host:port, got 'nohost'")));
    }

    @Test
    void secretsAreRedactedInTheLog() throws Exception {
        Path f = file("""
                kafka.sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="hunter2";
                kafka.ssl.truststore.password = changeit
                registry.basic.auth.user.info = svc:s3cret
                registry.bearer.auth.token = eyJ-static-t0ken
                registry.bearer.auth.client.secret = cl1ent-Secret
                registry.bearer.auth.client.id = loss-monitor
                lossmonitor.schema-registry-url = https://svc:pw@registry:8081
                lossmonitor.bootstrap-servers = k:9092
                """);
        String log = ServiceConfig.load(f, Map.of(), Map.of()).describe();
        assertThat(log).doesNotContain("hunter2", "changeit", "s3cret", "svc:pw", "eyJ-static-t0ken", "cl1ent-Secret")
                .contains("kafka.sasl.jaas.config = [redacted]")
                .contains("registry.bearer.auth.client.id = loss-monitor")
                .contains("https://[redacted]@registry:8081");
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> out = new java.util.HashMap<>(a);
        out.putAll(b);
        return out;
    }

    @Test
    void everySettingHasADocumentedDefault() {
        for (AppSetting s : AppSetting.all()) {
            assertThat(s.doc()).as(s.key()).isNotBlank();
            assertThat(s.envName()).startsWith("LOSSMONITOR_");
        }
        assertThat(List.of(AppSetting.values())).hasSizeGreaterThan(20);
    }
}
