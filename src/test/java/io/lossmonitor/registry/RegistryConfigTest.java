package io.lossmonitor.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.schema.Prediction;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

    @Test
    void confluentKeysAndDefaults() {
        RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a:8081, https://b:8443/apis/ccompat/v7/"));
        assertThat(config.urls()).containsExactly(URI.create("http://a:8081"), URI.create("https://b:8443/apis/ccompat/v7"));
        assertThat(config.autoRegister()).isTrue();
        assertThat(config.useLatestVersion()).isFalse();
        assertThat(config.valueStrategy()).isEqualTo(SubjectNameStrategy.TOPIC);
        assertThat(config.userInfo()).isNull();
        assertThat(config.tls().configured()).isFalse();
    }

    @Test
    void credentialsFromUserInfoOrUrlAndNeverInToString() {
        RegistryConfig userInfo = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a:8081",
                RegistryConfig.CREDENTIALS_SOURCE, "USER_INFO", RegistryConfig.USER_INFO, "svc:s3cret"));
        assertThat(userInfo.userInfo()).isEqualTo("svc:s3cret");
        assertThat(userInfo.toString()).doesNotContain("s3cret");

        RegistryConfig url = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://svc:pw@a:8081"));
        assertThat(url.userInfo()).isEqualTo("svc:pw");
        assertThat(url.urls()).containsExactly(URI.create("http://a:8081"));
        assertThat(url.toString()).doesNotContain("pw");
    }

    @Test
    void preciseErrors() {
        assertThatThrownBy(() -> RegistryConfig.from(Map.of()))
                .hasMessageContaining("missing schema.registry.url");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "registry:8081")))
                .hasMessageContaining("expected http(s)://host:port");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a",
                RegistryConfig.CREDENTIALS_SOURCE, "USER_INFO")))
                .hasMessageContaining("needs basic.auth.user.info as 'user:password'");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a",
                RegistryConfig.AUTO_REGISTER, "yes")))
                .hasMessageContaining("auto.register.schemas must be true or false, got 'yes'");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a",
                RegistryConfig.VALUE_SUBJECT_STRATEGY, "Whatever")))
                .hasMessageContaining("unknown subject name strategy 'Whatever'");
    }

    @Test
    void bearerTokensStaticOrByClientCredentials() {
        RegistryConfig fixed = RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "STATIC_TOKEN", RegistryConfig.BEARER_TOKEN, "t0ken-Pa55"));
        assertThat(fixed.bearer().oauth()).isFalse();
        assertThat(fixed.bearer().staticToken()).isEqualTo("t0ken-Pa55");
        assertThat(fixed.toString()).doesNotContain("t0ken-Pa55");

        RegistryConfig oauth = RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_ISSUER, "https://idp/token",
                RegistryConfig.BEARER_CLIENT_ID, "svc", RegistryConfig.BEARER_CLIENT_SECRET, "cl1ent-Pa55"));
        assertThat(oauth.bearer().issuer()).isEqualTo(URI.create("https://idp/token"));
        assertThat(oauth.bearer().refreshThreshold()).hasSeconds(300);
        assertThat(oauth.bearer().scope()).isNull();
        assertThat(oauth.toString()).doesNotContain("cl1ent-Pa55").contains("client credentials at https://idp/token");
        assertThat(RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a")).bearer()).isNull();
    }

    @Test
    void bearerSettingsThatCannotWork() {
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "STATIC_TOKEN")))
                .hasMessage("bearer.auth.credentials.source=STATIC_TOKEN needs bearer.auth.token");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_CLIENT_ID, "svc")))
                .hasMessage("bearer.auth.credentials.source=OAUTHBEARER needs bearer.auth.issuer.endpoint.url,"
                        + " bearer.auth.client.secret");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "OAUTHBEARER", RegistryConfig.BEARER_ISSUER, "idp/token",
                RegistryConfig.BEARER_CLIENT_ID, "svc", RegistryConfig.BEARER_CLIENT_SECRET, "x")))
                .hasMessage("bearer.auth.issuer.endpoint.url holds 'idp/token'; expected the token endpoint's http(s) URL");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_SOURCE, "SASL_INHERIT")))
                .hasMessage("bearer.auth.credentials.source must be STATIC_TOKEN or OAUTHBEARER, got 'SASL_INHERIT'");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://u:p@a",
                RegistryConfig.BEARER_SOURCE, "STATIC_TOKEN", RegistryConfig.BEARER_TOKEN, "t")))
                .hasMessageContaining("are both set: the registry takes one kind");
        assertThatThrownBy(() -> RegistryConfig.from(Map.of(RegistryConfig.URL, "https://a",
                RegistryConfig.BEARER_LOGICAL_CLUSTER, "lsrc-1")))
                .hasMessage("bearer.auth.logical.cluster and bearer.auth.identity.pool.id go with bearer tokens: set"
                        + " bearer.auth.credentials.source");
    }

    @Test
    void subjectStrategiesAcceptConfluentClassNames() {
        RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a",
                RegistryConfig.VALUE_SUBJECT_STRATEGY, "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy",
                RegistryConfig.KEY_SUBJECT_STRATEGY, "RecordNameStrategy"));
        assertThat(config.valueStrategy().subject("preds", false, Prediction.getClassSchema()))
                .isEqualTo("preds-io.lossmonitor.schema.Prediction");
        assertThat(config.keyStrategy().subject("preds", true, Prediction.getClassSchema()))
                .isEqualTo("io.lossmonitor.schema.Prediction");
        assertThat(SubjectNameStrategy.TOPIC.subject("preds", true, Prediction.getClassSchema())).isEqualTo("preds-key");
    }
}
