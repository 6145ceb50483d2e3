package io.lossmonitor.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.registry.RegistryConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart through a real helm (helm-java, Helm's Go library): lint --strict, then templates with three value
 * sets, parsed and checked; the rendered configuration and environment are loaded by the service's own
 * {@link ServiceConfig}, so a name the service does not read fails here.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("helm", "loss-monitor");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    private static List<JsonNode> render(Map<String, Object> values) throws Exception {
        TemplateCommand template = new Helm(CHART).template().withName("lm").withNamespace("ml");
        values.forEach(template::set);
        String manifests = template.call();
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(manifests)) {
            while (it.hasNext()) {
                JsonNode doc = (JsonNode) it.next();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    private static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst().orElse(null);
    }

    /** Loads the rendered config file and container env through the service's configuration. */
    private ServiceConfig serviceConfig(List<JsonNode> docs) throws Exception {
        JsonNode configMap = docs.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")
                && d.path("data").has("loss-monitor.properties")).findFirst().orElseThrow();
        Path file = Files.writeString(dir.resolve("loss-monitor.properties"),
                configMap.path("data").path("loss-monitor.properties").asText());
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : container(docs).path("env")) {
            String value = e.has("value") ? e.path("value").asText().replace("$(POD_NAME)", "lm-loss-monitor-0")
                    : "user:secret-from-" + e.path("valueFrom").path("secretKeyRef").path("name").asText();
            env.put(e.path("name").asText(), value);
        }
        return ServiceConfig.load(file, env, Map.of());
    }

    private static JsonNode container(List<JsonNode> docs) {
        return kind(docs, "StatefulSet").path("spec").path("template").path("spec").path("containers").get(0);
    }

    @Test
    void lintsStrictly() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
    }

    @Test
    void defaultsRenderAStatefulSetWithProbesStateAndForwarding() throws Exception {
        List<JsonNode> docs = render(Map.of());
        assertThat(docs).extracting(d -> d.path("kind").asText())
                .containsExactlyInAnyOrder("ConfigMap", "Service", "Service", "StatefulSet", "PodDisruptionBudget");
        JsonNode sts = kind(docs, "StatefulSet");
        assertThat(sts.path("spec").path("podManagementPolicy").asText()).isEqualTo("Parallel");
        assertThat(sts.path("spec").path("serviceName").asText()).isEqualTo("lm-loss-monitor-headless");
        JsonNode pod = sts.path("spec").path("template").path("spec");
        assertThat(pod.path("enableServiceLinks").asBoolean(true)).isFalse();
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("topologySpreadConstraints")).isNotEmpty();
        JsonNode c = container(docs);
        assertThat(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();

        ServiceConfig config = serviceConfig(docs);
        int port = config.integer(AppSetting.HTTP_PORT);
        assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(port);
        assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
        assertThat(c.path("startupProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
        assertThat(c.path("readinessProbe").path("httpGet").path("port").asText()).isEqualTo("http");
        // The state directory the service uses is the mounted volume, which comes from the claim template.
        String stateDir = config.get(AppSetting.STATE_DIR);
        assertThat(c.path("volumeMounts").findValuesAsText("mountPath")).contains(stateDir);
        assertThat(sts.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText()).isEqualTo("state");
        assertThat(config.get(AppSetting.APPLICATION_SERVER))
                .isEqualTo("lm-loss-monitor-0.lm-loss-monitor-headless.ml.svc.cluster.local:" + port);
        assertThat(config.kafka()).containsEntry("group.instance.id", "lm-loss-monitor-0");
        JsonNode headless = docs.stream().filter(d -> d.path("metadata").path("name").asText().endsWith("-headless"))
                .findFirst().orElseThrow();
        assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
    }

    @Test
    void persistenceOffAndMonitoringOnShipsTheSameRulesAndDashboards() throws Exception {
        List<JsonNode> docs = render(Map.of("persistence.enabled", "false", "monitoring.serviceMonitor.enabled", "true",
                "monitoring.prometheusRule.enabled", "true", "monitoring.dashboards.enabled", "true"));
        JsonNode sts = kind(docs, "StatefulSet");
        assertThat(sts.path("spec").has("volumeClaimTemplates")).isFalse();
        JsonNode volumes = sts.path("spec").path("template").path("spec").path("volumes");
        assertThat(volumes.findParents("name").stream().anyMatch(v -> v.path("name").asText().equals("state")
                && v.has("emptyDir"))).isTrue();
        assertThat(kind(docs, "ServiceMonitor").path("spec").path("endpoints").get(0).path("path").asText())
                .isEqualTo("/metrics");
        JsonNode rules = kind(docs, "PrometheusRule").path("spec");
        assertThat(rules).isEqualTo(YAML.readTree(AlertRulesTest.RULES.toFile()));
        JsonNode dashboards = docs.stream().filter(d -> d.path("metadata").path("name").asText().endsWith("-dashboards"))
                .findFirst().orElseThrow();
        assertThat(dashboards.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
        for (Path file : DeploymentFiles.dashboards()) {
            assertThat(new ObjectMapper().readTree(dashboards.path("data").path(file.getFileName().toString()).asText()))
                    .as(file.toString()).isEqualTo(new ObjectMapper().readTree(file.toFile()));
        }
        serviceConfig(docs);
    }

    @Test
    void tlsSaslAndRegistryCredentialsComeFromSecrets() throws Exception {
        List<JsonNode> docs = render(Map.of("kafka.tls.enabled", "true", "kafka.tls.existingSecret", "kafka-tls",
                "kafka.sasl.mechanism", "SCRAM-SHA-512", "kafka.sasl.existingSecret", "kafka-sasl",
                "schemaRegistry.existingSecret", "registry-auth", "schemaRegistry.url", "https://registry:8081"));
        ServiceConfig config = serviceConfig(docs);
        assertThat(config.kafka()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("sasl.jaas.config", "user:secret-from-kafka-sasl")
                .containsEntry("ssl.truststore.location", "/etc/loss-monitor/kafka-tls/truststore.p12");
        assertThat(config.registry()).containsEntry("basic.auth.credentials.source", "USER_INFO")
                .containsEntry("basic.auth.user.info", "user:secret-from-registry-auth");
        // Secrets are referenced, never rendered into the ConfigMap.
        String configMap = kind(docs, "ConfigMap").toString();
        assertThat(configMap).doesNotContain("secret-from");
        assertThat(container(docs).path("volumeMounts").findValuesAsText("mountPath")).contains("/etc/loss-monitor/kafka-tls");
        assertThat(config.describe()).contains("kafka.sasl.jaas.config = [redacted]");
    }

    @Test
    void registryOauthClientCredentialsWithTheSecretFromASecret() throws Exception {
        List<JsonNode> docs = render(Map.of("schemaRegistry.oauth.tokenEndpointUrl", "https://idp/realms/ml/token",
                "schemaRegistry.oauth.clientId", "loss-monitor", "schemaRegistry.oauth.scope", "registry",
                "schemaRegistry.oauth.existingSecret", "registry-oauth"));
        ServiceConfig config = serviceConfig(docs);
        RegistryConfig registry = RegistryConfig.from(config.registry());
        assertThat(registry.bearer().oauth()).isTrue();
        assertThat(registry.bearer().issuer()).hasToString("https://idp/realms/ml/token");
        assertThat(registry.bearer().clientId()).isEqualTo("loss-monitor");
        assertThat(registry.bearer().scope()).isEqualTo("registry");
        assertThat(registry.bearer().clientSecret()).isEqualTo("user:secret-from-registry-oauth");
        assertThat(kind(docs, "ConfigMap").toString()).doesNotContain("secret-from");
    }

    @Test
    void registryOauthNeedsItsSecretAndExcludesBasicAuth() {
        assertThatThrownBy(() -> render(Map.of("schemaRegistry.oauth.tokenEndpointUrl", "https://idp/token",
                "schemaRegistry.oauth.clientId", "loss-monitor")))
                .hasMessageContaining("schemaRegistry.oauth.existingSecret is required with a token endpoint");
        assertThatThrownBy(() -> render(Map.of("schemaRegistry.oauth.tokenEndpointUrl", "https://idp/token",
                "schemaRegistry.oauth.clientId", "loss-monitor", "schemaRegistry.oauth.existingSecret", "s",
                "schemaRegistry.existingSecret", "registry-auth")))
                .hasMessageContaining("set either existingSecret (basic auth) or oauth.tokenEndpointUrl, not both");
    }
}
