package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The production defaults, as Kafka Streams' own components read them. */
class StreamsSettingsTest {

    private static StreamsConfig defaults() {
        return new StreamsConfig(StreamsSettings.defaults("app", "broker:9092", TopologyConfig.defaults()));
    }

    @Test
    void theProcessingExceptionHandlerCoversTheGlobalThreadAlsoForThePartitionAssignor() {
        @SuppressWarnings("deprecation")
        String global = StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG;
        assertThat(defaults().getBoolean(global)).isTrue();
        // The assignor reads a StreamsConfig built from the main consumer's settings (and warns when this is off).
        Map<String, Object> consumer = defaults().getMainConsumerConfigs("app", "app-client", 0);
        assertThat(new StreamsConfig(consumer).getBoolean(global)).isTrue();
    }

    @Test
    void exactlyOnceWithAllReplicasAcknowledging() {
        StreamsConfig config = defaults();
        assertThat(config.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(config.getProducerConfigs("app-client").get("acks")).isEqualTo("all");
        assertThat(config.getString(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG))
                .isEqualTo(TopologyConfig.defaults().deadLetterTopic());
    }
}
