package io.lossmonitor.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lossmonitor.metrics.PrometheusText;
import io.lossmonitor.metrics.PrometheusText.Sample;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.score.PredictionSignals;
import io.lossmonitor.topology.window.LatestWindow;
import io.lossmonitor.topology.window.LossTotal;
import io.lossmonitor.topology.window.PredictionWindowAggregate;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowContribution;
import io.lossmonitor.topology.window.WindowKey;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The store-backed metrics from store contents built with the real aggregates. */
class StoreMetricsTest {

    private final Map<String, Map<Object, Object>> stores = new HashMap<>();

    private final StoreReader reader = new StoreReader() {
        @Override
        @SuppressWarnings("unchecked")
        public <K, V> void forEach(String store, BiConsumer<K, V> visitor) {
            stores.getOrDefault(store, Map.of()).forEach((k, v) -> visitor.accept((K) k, (V) v));
        }
    };

    private static WindowContribution contribution(double numerator, int sign) {
        return new WindowContribution(LossKind.CROSS_ENTROPY, sign, numerator, 1.0, new double[] {1.0}, 1.0, 0.9, 1, 0.3);
    }

    private List<Sample> scrape(int maxClasses, String deny) {
        return scrape(maxClasses, deny, Duration.ofDays(7));
    }

    private List<Sample> scrape(int maxClasses, String deny, Duration retireVersionsAfter) {
        StoreMetrics metrics = new StoreMetrics(reader, maxClasses, Pattern.compile(".*"),
                deny == null ? null : Pattern.compile(deny), retireVersionsAfter);
        try (ServiceMetrics service = new ServiceMetrics(metrics, "test")) {
            return PrometheusText.parse(service.scrape(null));
        }
    }

    @Test
    void tenThousandClassesBecomeTwentySeriesAndOther() {
        Map<Object, Object> totals = new HashMap<>();
        Map<Object, Object> latest = new HashMap<>();
        for (int c = 0; c < 10_000; c++) {
            String key = new WindowKey("big", "v1", Integer.toString(c)).encode();
            totals.put(key, new LossTotal().apply(contribution(c, 1)));
            latest.put(LatestWindow.key(key, 60_000), new LatestWindow<>(60_000, 0, new WindowAggregate().apply(contribution(c, 1))));
        }
        totals.put(WindowKey.all("hidden", "v1").encode(), new LossTotal().apply(contribution(5, 1)));
        stores.put(Names.LOSS_TOTALS_STORE, totals);
        stores.put(Names.LATEST_WINDOWS_STORE, latest);

        List<Sample> samples = scrape(20, "hidden");
        List<Sample> numerators = samples.stream().filter(s -> s.name().equals("lossmon_loss_numerator_total")).toList();
        assertThat(numerators).hasSize(21);
        assertThat(numerators).extracting(s -> s.labels().get("class")).contains("0", "19", "other").doesNotContain("20");
        // Classes 20..9999 folded: the sum of c over them.
        double folded = (9999.0 * 10_000 / 2) - (19.0 * 20 / 2);
        assertThat(PrometheusText.sum(samples, "lossmon_loss_numerator_total", Map.of("class", "other"))).isEqualTo(folded);
        assertThat(PrometheusText.sum(samples, "lossmon_folded_series_total", Map.of("model", "big"))).isEqualTo(9980.0);
        // The folded windows merge into one: 9980 events whose mean is the mean of 20..9999.
        assertThat(PrometheusText.sum(samples, "lossmon_window_events", Map.of("class", "other"))).isEqualTo(9980.0);
        assertThat(PrometheusText.sum(samples, "lossmon_window_loss_mean", Map.of("class", "other")))
                .isCloseTo(folded / 9980, within(1e-9));
        assertThat(samples).noneMatch(s -> "hidden".equals(s.labels().get("model")));
        assertThat(samples.stream().filter(s -> s.name().startsWith("lossmon_window_loss_mean")).count()).isEqualTo(21);
    }

    @Test
    void aVersionWhoseNewestWindowIsLongBehindItsModelsIsRetired() {
        long day = Duration.ofDays(1).toMillis();
        long minute = 60_000;
        long t0 = 1_700_000_000_000L - 1_700_000_000_000L % day;
        Map<Object, Object> totals = new HashMap<>();
        Map<Object, Object> latest = new HashMap<>();
        Map<Object, Object> predictions = new HashMap<>();
        // Model m: v1's newest window ends 8 days before v2's, v3's exactly 7 days before; v4 has only label-free
        // prediction windows, 8 days behind. Model solo has one version, older than all of them.
        Map<String, Long> starts = Map.of("v1", t0, "v2", t0 + 8 * day, "v3", t0 + day);
        starts.forEach((version, start) -> {
            String key = WindowKey.all("m", version).encode();
            totals.put(key, new LossTotal().apply(contribution(1.0, 1)));
            latest.put(LatestWindow.key(key, minute), new LatestWindow<>(minute, start, new WindowAggregate()
                    .apply(contribution(1.0, 1))));
        });
        predictions.put(LatestWindow.key(WindowKey.all("m", "v4").encode(), minute), new LatestWindow<>(minute, t0,
                new PredictionWindowAggregate().apply(new PredictionSignals("m", "v4", t0, 2, 1, 0.9, 0.3))));
        String solo = WindowKey.all("solo", "v0").encode();
        totals.put(solo, new LossTotal().apply(contribution(2.0, 1)));
        latest.put(LatestWindow.key(solo, minute), new LatestWindow<>(minute, t0 - 30 * day, new WindowAggregate()
                .apply(contribution(2.0, 1))));
        stores.put(Names.LOSS_TOTALS_STORE, totals);
        stores.put(Names.LATEST_WINDOWS_STORE, latest);
        stores.put(Names.LATEST_PREDICTION_WINDOWS_STORE, predictions);

        List<Sample> samples = scrape(20, null);
        assertThat(versions(samples, "lossmon_loss_numerator_total", "m")).containsExactlyInAnyOrder("v2", "v3");
        assertThat(versions(samples, "lossmon_window_loss_mean", "m")).containsExactlyInAnyOrder("v2", "v3");
        assertThat(versions(samples, "lossmon_prediction_window_events", "m")).isEmpty();
        assertThat(versions(samples, "lossmon_loss_numerator_total", "solo")).containsExactly("v0");
        assertThat(PrometheusText.sum(samples, "lossmon_retired_versions", Map.of("model", "m"))).isEqualTo(2.0);
        assertThat(PrometheusText.sum(samples, "lossmon_retired_versions", Map.of("model", "solo"))).isZero();
        assertThat(samples).anyMatch(s -> s.name().equals("lossmon_retired_versions")
                && "solo".equals(s.labels().get("model")));

        // Zero keeps every version.
        List<Sample> all = scrape(20, null, Duration.ZERO);
        assertThat(versions(all, "lossmon_loss_numerator_total", "m")).containsExactlyInAnyOrder("v1", "v2", "v3");
        assertThat(versions(all, "lossmon_prediction_window_events", "m")).containsExactly("v4");
        assertThat(all).noneMatch(s -> s.name().equals("lossmon_retired_versions"));
    }

    private static List<String> versions(List<Sample> samples, String metric, String model) {
        return samples.stream().filter(s -> s.name().equals(metric) && model.equals(s.labels().get("model")))
                .map(s -> s.labels().get("version")).distinct().toList();
    }

    @Test
    void retractionsAreSeparateCountersSoBothOnlyGrow() {
        LossTotal total = new LossTotal().apply(contribution(2.0, 1)).apply(contribution(2.0, -1)).apply(contribution(3.0, 1));
        stores.put(Names.LOSS_TOTALS_STORE, Map.of(WindowKey.all("m", "v1").encode(), total));
        List<Sample> samples = scrape(20, null);
        Map<String, String> all = Map.of("model", "m", "class", "all");
        assertThat(PrometheusText.sum(samples, "lossmon_loss_numerator_total", all)).isEqualTo(5.0);
        assertThat(PrometheusText.sum(samples, "lossmon_loss_retracted_numerator_total", all)).isEqualTo(2.0);
        assertThat(PrometheusText.sum(samples, "lossmon_loss_denominator_total", all)).isEqualTo(2.0);
        assertThat(PrometheusText.sum(samples, "lossmon_loss_retracted_denominator_total", all)).isEqualTo(1.0);
    }

    @Test
    void accountingCountersGaugesAndTheDelayHistogram() {
        Map<Object, Object> join = new HashMap<>();
        join.put(Accounting.key(Accounting.PREDICTIONS, "m", Accounting.SCORED), 7L);
        join.put(Accounting.key(Accounting.PREDICTIONS, "m", Accounting.PENDING), 3L);
        join.put(Accounting.key(Accounting.LABELS, "m", Accounting.JOINED), 7L);
        join.put(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_BUCKET + 0), 2L);
        join.put(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_BUCKET + 2), 5L);
        join.put(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_SUM_MS), 150_500L);
        Map<Object, Object> intake = Map.of(Accounting.key(Accounting.PREDICTIONS, "", Accounting.INVALID), 4L,
                Accounting.key(Accounting.LABELS, "", Accounting.AWAITING_SCHEMA), 6L);
        stores.put(Names.JOIN_ACCOUNTING_STORE, join);
        stores.put(Names.INTAKE_ACCOUNTING_STORE, intake);
        List<Sample> samples = scrape(20, null);
        assertThat(PrometheusText.sum(samples, "lossmon_predictions_total", Map.of("model", "m", "outcome", "scored"))).isEqualTo(7);
        assertThat(PrometheusText.sum(samples, "lossmon_pending_predictions", Map.of("model", "m"))).isEqualTo(3);
        assertThat(PrometheusText.sum(samples, "lossmon_dead_letters_total", Map.of("input", "predictions"))).isEqualTo(4);
        // Records waiting for the registry are a gauge per input, present (at 0) for both inputs, never a label outcome.
        assertThat(PrometheusText.sum(samples, "lossmon_awaiting_schema", Map.of("input", "labels"))).isEqualTo(6);
        assertThat(samples).anyMatch(x -> x.name().equals("lossmon_awaiting_schema")
                && x.labels().equals(Map.of("input", "predictions")) && x.value() == 0);
        assertThat(PrometheusText.sum(samples, "lossmon_labels_total", Map.of("outcome", "awaiting_schema"))).isZero();
        // Buckets are cumulative: le=1 has 2, le=10 still 2, le=60 has 7, and so on to +Inf.
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_bucket", Map.of("le", "1.0"))).isEqualTo(2);
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_bucket", Map.of("le", "10.0"))).isEqualTo(2);
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_bucket", Map.of("le", "60.0"))).isEqualTo(7);
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_bucket", Map.of("le", "+Inf"))).isEqualTo(7);
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_count", Map.of())).isEqualTo(7);
        assertThat(PrometheusText.sum(samples, "lossmon_label_delay_seconds_sum", Map.of())).isEqualTo(150.5);
    }
}
