package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.topology.TopologyConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A max-scores raised past Kafka's defaults raises the producer's request size and the internal topics' message size
 * where they are unset, and stops the start where they are set too small, instead of the stream thread at the first
 * large event.
 */
class RecordRoomTest {

    private static void check(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081"));
        all.putAll(settings);
        ServiceConfig config = ServiceConfig.load(null, Map.of(), all);
        TopologyConfig topology = LossMonitorService.topologyConfig(config);
        Properties streams = LossMonitorService.streamsProperties(config, topology);
        LossMonitorService.requireRoomForRecords(streams, topology);
    }

    @Test
    void theDefaultsFitKafkasDefaultRequestSize() {
        TopologyConfig defaults = TopologyConfig.defaults();
        // The stored prediction's bound, 2 x (16 x 10,000 + 32 KiB) + 40 x 10,000, over the scored event's,
        // (16 x 10,000 + 32 KiB) + 24 x 10,000 + 256 KiB of class names, plus 4 KiB: under the default 1 MiB.
        assertThat(defaults.maxRecordBytes()).isEqualTo(2 * (160_000 + 32_768) + 400_000 + 4_096).isLessThan(1 << 20);
        // With few scores the class names' budget dominates.
        TopologyConfig few = LossMonitorService.topologyConfig(ServiceConfig.load(null, Map.of(), Map.of(
                "lossmonitor.bootstrap-servers", "unused:9092", "lossmonitor.schema-registry-url", "http://unused:8081",
                "lossmonitor.max-scores", "1000")));
        assertThat(few.maxRecordBytes()).isEqualTo((16_000 + 32_768) + 24_000 + 262_144 + 4_096);
        assertThatCode(() -> check(Map.of())).doesNotThrowAnyException();
    }

    @Test
    void moreScoresRaiseTheUnsetLimitsAndCheckTheSetOnes() {
        Map<String, String> more = Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081", "lossmonitor.max-scores", "100000");
        ServiceConfig config = ServiceConfig.load(null, Map.of(), more);
        TopologyConfig topology = LossMonitorService.topologyConfig(config);
        // 2 x (16 x 100,000 + 32 KiB) + 40 x 100,000 + 4 KiB, over Kafka's 1 MB defaults: the service raises both.
        assertThat(topology.maxRecordBytes()).isEqualTo(7_269_632L);
        Properties streams = LossMonitorService.streamsProperties(config, topology);
        assertThat(streams.get("producer.max.request.size")).isEqualTo(7_269_632L);
        assertThat(streams.get("topic.max.message.bytes")).isEqualTo(7_269_632L);
        assertThatCode(() -> check(Map.of("lossmonitor.max-scores", "100000"))).doesNotThrowAnyException();
        // At the default max-scores nothing is raised: internal topics take the broker's own default.
        Properties defaults = LossMonitorService.streamsProperties(ServiceConfig.load(null, Map.of(),
                Map.of("lossmonitor.bootstrap-servers", "unused:9092", "lossmonitor.schema-registry-url",
                        "http://unused:8081")), TopologyConfig.defaults());
        assertThat(defaults).doesNotContainKeys("producer.max.request.size", "max.request.size", "topic.max.message.bytes");

        assertThatThrownBy(() -> check(Map.of("lossmonitor.max-scores", "100000",
                "kafka.producer.max.request.size", "2097152")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("max-scores 100000 lets one event produce records of up to 7269632 bytes, more"
                        + " than the producer's max.request.size of 2097152")
                .hasMessageContaining("kafka.producer.max.request.size");
        assertThatCode(() -> check(Map.of("lossmonitor.max-scores", "100000",
                "kafka.producer.max.request.size", "8388608"))).doesNotThrowAnyException();
        // The producer-wide setting counts too; the producer. prefix wins over it.
        assertThatCode(() -> check(Map.of("lossmonitor.max-scores", "100000", "kafka.max.request.size", "8388608")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> check(Map.of("lossmonitor.max-scores", "100000", "kafka.max.request.size", "2097152")))
                .hasMessageContaining("max.request.size of 2097152");
        assertThatThrownBy(() -> check(Map.of("lossmonitor.max-scores", "100000", "kafka.max.request.size", "8388608",
                "kafka.producer.max.request.size", "2097152"))).hasMessageContaining("max.request.size of 2097152");
        assertThatThrownBy(() -> check(Map.of("lossmonitor.max-scores", "100000",
                "kafka.topic.max.message.bytes", "2097152")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("more than the internal topics' max.message.bytes of 2097152")
                .hasMessageContaining("kafka.topic.max.message.bytes");
        assertThatThrownBy(() -> check(Map.of("kafka.producer.max.request.size", "8MB")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'8MB' is not a number of bytes");
    }
}
