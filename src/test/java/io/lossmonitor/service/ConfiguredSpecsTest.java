package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lossmonitor.config.ConfigException;
import io.lossmonitor.config.ServiceConfig;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A configured model spec that can score no prediction stops the start, naming the model and the reason. */
class ConfiguredSpecsTest {

    private static void check(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("lossmonitor.bootstrap-servers", "unused:9092",
                "lossmonitor.schema-registry-url", "http://unused:8081"));
        all.putAll(settings);
        LossMonitorService.requireUsableSpecs(LossMonitorService.topologyConfig(ServiceConfig.load(null, Map.of(), all)));
    }

    @Test
    void specsThatFitSomePredictionPass() {
        assertThatCode(() -> check(Map.of(
                "lossmonitor.model.ranker.num-classes", "3",
                "lossmonitor.model.ranker.class-weights", "1,2,0.5",
                "lossmonitor.model.ranker.label-smoothing", "0.1",
                "lossmonitor.model.tagger.pos-weight", "2,1,1,3,1",
                "lossmonitor.model.fraud.loss", "binary_cross_entropy_with_logits",
                "lossmonitor.model.fraud.max-label-delay", "2d",
                "lossmonitor.model.named.class-names", "cat,dog"))).doesNotThrowAnyException();
    }

    @Test
    void eachUnusableSpecIsNamedWithItsReason() {
        assertThatThrownBy(() -> check(Map.of(
                "lossmonitor.model.smooth.label-smoothing", "1.5",
                "lossmonitor.model.smooth.loss", "cross_entropy",
                "lossmonitor.model.weights.class-weights", "1,-2,1",
                "lossmonitor.model.names.num-classes", "3",
                "lossmonitor.model.names.class-names", "a,b",
                "lossmonitor.model.slow.max-label-delay", "30d",
                "lossmonitor.model.fine.num-classes", "4")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .as(String.join("\n", e.problems())).hasSize(4)
                        .anySatisfy(p -> assertThat(p).startsWith("the spec of model 'smooth' (lossmonitor.model.smooth.*)"
                                + " cannot score any prediction: ").contains("label_smoothing"))
                        .anySatisfy(p -> assertThat(p).contains("'weights'").contains("-2"))
                        .anySatisfy(p -> assertThat(p).contains("'names'").contains("2 class names for 3 classes"))
                        .anySatisfy(p -> assertThat(p).contains("'slow'")
                                .contains("at most the service's maximum label delay")));
    }
}
