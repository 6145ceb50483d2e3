package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.TopologyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The routing the service chooses from the inputs' partition counts (the cluster lookup itself: ServiceIT). */
class InputTopicsTest {

    private static TopologyConfig topology(Map<String, String> settings) {
        Map<String, String> all = new java.util.HashMap<>(Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081"));
        all.putAll(settings);
        return LossMonitorService.topologyConfig(ServiceConfig.load(null, Map.of(), all));
    }

    @Test
    void inputsWithOnePartitionCountAreReadWhereTheyAre() {
        assertThat(InputTopics.routing(topology(Map.of()), 6, 6, false)).isEqualTo(InputRouting.localFirst(6));
        assertThat(InputTopics.routing(topology(Map.of("lossmonitor.partitions", "6")), 6, 6, false))
                .isEqualTo(InputRouting.localFirst(6));
    }

    @Test
    void differentCountsOrAnotherJoinInputCountRepartitionEveryRecord() {
        assertThat(InputTopics.routing(topology(Map.of()), 6, 3, false)).isEqualTo(InputRouting.repartition());
        assertThat(InputTopics.routing(topology(Map.of("lossmonitor.partitions", "12")), 6, 6, false))
                .isEqualTo(InputRouting.repartition());
    }

    @Test
    void keyedInputsNeedOnePartitionCount() {
        assertThat(InputTopics.routing(topology(Map.of()), 4, 4, true)).isEqualTo(InputRouting.keyed(4));
        assertThatThrownBy(() -> InputTopics.routing(topology(Map.of()), 4, 5, true)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("to have the same number of partitions, but they have 4 and 5");
    }
}
