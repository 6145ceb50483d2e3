package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;

/** Checks of a running service's {@code /metrics} that the service ITs share. */
final class ScrapeChecks {

    private ScrapeChecks() {
    }

    /**
     * Waits until every input record is counted once: each prediction by its outcome or as pending, each label by
     * its outcome or as an early label still waiting (an early label is counted again when its prediction comes).
     */
    static void awaitEveryRecordAccountedFor(Callable<List<Sample>> scrape, long predictions, long labels) {
        Awaitility.await("every record accounted for on /metrics").atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .untilAsserted(() -> {
                    List<Sample> m = scrape.call();
                    double p = PrometheusText.sum(m, "lossmon_predictions_total", Map.of())
                            + PrometheusText.sum(m, "lossmon_pending_predictions", Map.of());
                    double l = PrometheusText.sum(m, "lossmon_labels_total", Map.of())
                            - PrometheusText.sum(m, "lossmon_labels_total", Map.of("outcome", "early"))
                            + PrometheusText.sum(m, "lossmon_early_labels_pending", Map.of());
                    assertThat(p).isEqualTo(predictions);
                    assertThat(l).isEqualTo(labels);
                });
    }

    /**
     * Waits (the windows are one repartition behind the join) until the counters and window gauges equal the loss
     * CLI on every case, per model, version and class. The cases are what {@code CasesTrafficSink} wrote for the
     * traffic the service read; the traffic spans seconds from a minute boundary, so each key's newest window of
     * every size holds all its events.
     */
    static void awaitLossCliAgreement(Callable<List<Sample>> scrape, String cases) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> expected = new ArrayList<>();
        for (String line : cases.split("\n")) {
            expected.add(json.readTree(line));
        }
        assertThat(expected).hasSizeGreaterThan(3 + 10);
        Awaitility.await("windows and counters equal the loss CLI").atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> {
                    List<Sample> now = scrape.call();
                    for (JsonNode c : expected) {
                        String[] id = c.get("id").asText().replace("#vector", "").split("[@/]");
                        double mean = LossCase.evaluate(c).doubleValue();
                        Map<String, String> key = Map.of("model", id[0], "version", id[1],
                                "class", id.length == 3 ? id[2] : "all");
                        double num = PrometheusText.sum(now, "lossmon_loss_numerator_total", key)
                                - PrometheusText.sum(now, "lossmon_loss_retracted_numerator_total", key);
                        double den = PrometheusText.sum(now, "lossmon_loss_denominator_total", key)
                                - PrometheusText.sum(now, "lossmon_loss_retracted_denominator_total", key);
                        assertThat(num / den).as("counters of %s", key).isCloseTo(mean, within(1e-12 * Math.abs(mean)));
                        for (String window : List.of("1m", "1h", "1d")) {
                            Map<String, String> w = new HashMap<>(key);
                            w.put("window", window);
                            assertThat(PrometheusText.sum(now, "lossmon_window_events", w)).as("events %s", w)
                                    .isEqualTo(c.get("events").asDouble());
                            assertThat(PrometheusText.sum(now, "lossmon_window_loss_mean", w)).as("gauge %s", w)
                                    .isCloseTo(mean, within(1e-12 * Math.abs(mean)));
                        }
                    }
                });
    }
}
