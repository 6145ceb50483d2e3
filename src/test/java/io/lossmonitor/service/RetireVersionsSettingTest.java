package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.config.ServiceConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A version is retired from the metrics only once no label can reach it: never sooner than max-label-delay. */
class RetireVersionsSettingTest {

    private static Duration retireAfter(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081"));
        all.putAll(settings);
        return LossMonitorService.retireVersionsAfter(ServiceConfig.load(null, Map.of(), all));
    }

    @Test
    void theSettingButNeverLessThanTheLabelDelay() {
        assertThat(retireAfter(Map.of())).isEqualTo(Duration.ofDays(7));
        assertThat(retireAfter(Map.of("lossmonitor.metrics.retire-versions-after", "30d"))).isEqualTo(Duration.ofDays(30));
        assertThat(retireAfter(Map.of("lossmonitor.metrics.retire-versions-after", "2d"))).isEqualTo(Duration.ofDays(7));
        assertThat(retireAfter(Map.of("lossmonitor.metrics.retire-versions-after", "2d",
                "lossmonitor.max-label-delay", "1d"))).isEqualTo(Duration.ofDays(2));
        assertThat(retireAfter(Map.of("lossmonitor.metrics.retire-versions-after", "3d",
                "lossmonitor.max-label-delay", "14d"))).isEqualTo(Duration.ofDays(14));
        assertThat(retireAfter(Map.of("lossmonitor.metrics.retire-versions-after", "0d"))).isZero();
    }
}
