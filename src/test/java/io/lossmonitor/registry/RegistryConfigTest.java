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
