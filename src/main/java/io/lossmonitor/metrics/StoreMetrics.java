package io.lossmonitor.metrics;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.window.LatestWindow;
import io.lossmonitor.topology.window.LossTotal;
import io.lossmonitor.topology.window.PredictionWindowAggregate;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowKey;
import io.lossmonitor.config.Durations;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The loss-monitor metrics, read from the state stores at scrape time. Every value is exactly-once (the stores are
 * changelogged under exactly_once_v2) and survives restarts; each instance exports its own partitions, so sums over
 * instances are totals.
 *
 * <p>Cardinality is bounded: per model, the first {@code maxClasses} class values (in index order, so the choice
 * is stable) get their own series and the rest are folded into {@code class="other"}, counted by
 * {@code lossmon_folded_series_total}; models outside the allow pattern or inside the deny pattern are not exported.
 * A model's versions would still add series without end (a version per deployment, kept forever), so a version
 * whose newest window ended more than {@code retireVersionsAfter} before its model's newest window, in event time, is
 * retired: its per-version series are no longer exported (its data stays in the stores, the query API and the
 * windows topic), counted per model by {@code lossmon_retired_versions}. Event time, not the wall clock, so that a
 * backfill of old events is exported while it runs, and the choice survives restarts; a model's only version, or
 * any version still receiving events beside newer ones, is never retired. Each instance judges by the windows of
 * its own partitions (a global newest per model would cost a call to every instance per scrape). Retired series had
 * not changed for that long, so no rate or increase over a shorter range changes with their going.
 */
public final class StoreMetrics implements MultiCollector {

    public static final String ALL = "all";
    public static final String OTHER = "other";

    private final StoreReader stores;
    private final int maxClasses;
    private final Pattern allow;
    private final Pattern deny;
    private final long retireVersionsAfterMs;
    private final Map<String, Set<String>> folded = new ConcurrentHashMap<>();

    /** A model version, as the per-version series label it. */
    private record ModelVersion(String model, String version) {
        static ModelVersion of(WindowKey key) {
            return new ModelVersion(key.modelId(), key.modelVersion());
        }
    }

    /**
     * @param retireVersionsAfter how far (in event time) a version's newest window may end behind its model's newest
     *     before the version is no longer exported; zero never retires one
     */
    public StoreMetrics(StoreReader stores, int maxClasses, Pattern allow, Pattern deny, Duration retireVersionsAfter) {
        this.stores = stores;
        this.maxClasses = maxClasses;
        this.allow = allow;
        this.deny = deny;
        this.retireVersionsAfterMs = retireVersionsAfter.toMillis();
    }

    private boolean exported(String model) {
        return (allow == null || allow.matcher(model).matches()) && (deny == null || !deny.matcher(model).matches());
    }

    @Override
    public MetricSnapshots collect() {
        List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>();
        Map<String, LatestWindow<WindowAggregate>> latest = new HashMap<>();
        stores.<String, LatestWindow<WindowAggregate>>forEach(Names.LATEST_WINDOWS_STORE, latest::put);
        Map<String, LatestWindow<PredictionWindowAggregate>> latestPredictions = new HashMap<>();
        stores.<String, LatestWindow<PredictionWindowAggregate>>forEach(Names.LATEST_PREDICTION_WINDOWS_STORE,
                latestPredictions::put);
        Map<ModelVersion, Long> newest = retireVersionsAfterMs > 0 ? newestWindowEnds(latest, latestPredictions)
                : Map.of();
        Set<ModelVersion> retired = retired(newest);
        accounting(out);
        totals(out, retired);
        windows(out, latest, retired);
        predictionWindows(out, latestPredictions, retired);
        GaugeSnapshot.Builder retiredVersions = gauge("lossmon_retired_versions",
                "Versions no longer exported: their newest window ended long before the model's newest (see metrics.retire-versions-after)");
        // Every model with windows gets the series while retirement is on, at 0 until a version retires.
        Map<String, Long> perModel = new TreeMap<>();
        newest.keySet().stream().map(ModelVersion::model).filter(this::exported).forEach(m -> perModel.putIfAbsent(m, 0L));
        retired.forEach(v -> perModel.merge(v.model(), 1L, Long::sum));
        perModel.forEach((model, n) -> point(retiredVersions, Labels.of("model", model), n));
        out.add(retiredVersions.build());
        return new MetricSnapshots(out);
    }

    /** The end of each version's newest window, with or without labels. */
    private static Map<ModelVersion, Long> newestWindowEnds(Map<String, LatestWindow<WindowAggregate>> latest,
                                                            Map<String, LatestWindow<PredictionWindowAggregate>> latestPredictions) {
        Map<ModelVersion, Long> newest = new HashMap<>();
        for (Map<String, ? extends LatestWindow<?>> windows : List.of(latest, latestPredictions)) {
            windows.forEach((k, w) -> newest.merge(ModelVersion.of(WindowKey.decode(LatestWindow.windowKey(k))),
                    w.startMs() + w.sizeMs(), Math::max));
        }
        return newest;
    }

    /** The versions whose newest window ended too long before their model's newest. */
    private Set<ModelVersion> retired(Map<ModelVersion, Long> newest) {
        Map<String, Long> newestOfModel = new HashMap<>();
        newest.forEach((v, end) -> newestOfModel.merge(v.model(), end, Math::max));
        Set<ModelVersion> retired = new HashSet<>();
        newest.forEach((v, end) -> {
            if (exported(v.model()) && newestOfModel.get(v.model()) - end > retireVersionsAfterMs) {
                retired.add(v);
            }
        });
        return retired;
    }

    private void accounting(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out) {
        Map<String, Long> counts = new TreeMap<>();
        for (String store : List.of(Names.INTAKE_ACCOUNTING_STORE, Names.JOIN_ACCOUNTING_STORE)) {
            stores.<String, Long>forEach(store, (k, v) -> counts.merge(k, v, Long::sum));
        }
        CounterSnapshot.Builder predictions = CounterSnapshot.builder().name("lossmon_predictions")
                .help("Prediction records by outcome: scored, expired, duplicate, invalid");
        CounterSnapshot.Builder labels = CounterSnapshot.builder().name("lossmon_labels")
                .help("Label records by outcome: joined, early (waited for its prediction), late, duplicate, corrected, invalid");
        GaugeSnapshot.Builder pending = GaugeSnapshot.builder().name("lossmon_pending_predictions")
                .help("Predictions waiting for their label");
        GaugeSnapshot.Builder earlyPending = GaugeSnapshot.builder().name("lossmon_early_labels_pending")
                .help("Labels waiting for their prediction");
        CounterSnapshot.Builder evicted = CounterSnapshot.builder().name("lossmon_pending_evictions")
                .help("Pending predictions expired early because a join task held its maximum (also counted as expired)");
        Map<String, Long> evictions = new TreeMap<>();
        CounterSnapshot.Builder deadLetters = CounterSnapshot.builder().name("lossmon_dead_letters")
                .help("Records sent to the dead-letter topic, by input");
        Map<String, long[]> delayBuckets = new TreeMap<>();
        Map<String, Long> delaySums = new TreeMap<>();
        Map<String, Long> dead = new TreeMap<>();
        // Both inputs get the series, at 0 unless the registry is away, so that an alert has something to watch.
        Map<String, Long> awaiting = new TreeMap<>(Map.of(Accounting.PREDICTIONS, 0L, Accounting.LABELS, 0L));
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            String[] key = Accounting.parse(e.getKey());
            String stream = key[0];
            String model = key[1];
            String outcome = key[2];
            long value = e.getValue();
            if (!model.isEmpty() && !exported(model)) {
                continue;
            }
            if (outcome.equals(Accounting.AWAITING_SCHEMA)) {
                awaiting.merge(stream, value, Long::sum);
                continue;
            }
            Labels modelOutcome = Labels.of("model", model, "outcome", outcome);
            if (outcome.equals(Accounting.INVALID)) {
                dead.merge(stream, value, Long::sum);
            }
            if (stream.equals(Accounting.PREDICTIONS)) {
                if (!model.isEmpty()) {
                    evictions.merge(model, outcome.equals(Accounting.EVICTED) ? value : 0L, Long::sum);
                }
                switch (outcome) {
                    case Accounting.PENDING -> pending.dataPoint(gauge(Labels.of("model", model), value));
                    case Accounting.SCORED, Accounting.EXPIRED, Accounting.DUPLICATE, Accounting.INVALID ->
                            predictions.dataPoint(counter(modelOutcome, value));
                    default -> { }
                }
            } else if (outcome.startsWith(Accounting.DELAY_BUCKET)) {
                int bucket = Integer.parseInt(outcome.substring(Accounting.DELAY_BUCKET.length()));
                delayBuckets.computeIfAbsent(model, m -> new long[Accounting.DELAY_BUCKETS.length + 1])[bucket] += value;
            } else if (outcome.equals(Accounting.DELAY_SUM_MS)) {
                delaySums.merge(model, value, Long::sum);
            } else if (outcome.equals(Accounting.EARLY_PENDING)) {
                earlyPending.dataPoint(gauge(Labels.of("model", model), value));
            } else {
                labels.dataPoint(counter(modelOutcome, value));
            }
        }
        dead.forEach((stream, n) -> deadLetters.dataPoint(counter(Labels.of("input", stream), n)));
        GaugeSnapshot.Builder awaitingSchema = GaugeSnapshot.builder().name("lossmon_awaiting_schema")
                .help("Input records set aside because the schema registry could not be reached to fetch their schema;"
                        + " they are retried with backoff and processed when it answers");
        awaiting.forEach((stream, n) -> awaitingSchema.dataPoint(gauge(Labels.of("input", stream), n)));
        out.add(awaitingSchema.build());
        // Every model gets the series, at 0 until an eviction, so that alerts on it have something to watch.
        evictions.forEach((model, n) -> evicted.dataPoint(counter(Labels.of("model", model), n)));
        out.add(evicted.build());
        out.add(predictions.build());
        out.add(labels.build());
        out.add(pending.build());
        out.add(earlyPending.build());
        out.add(deadLetters.build());
        HistogramSnapshot.Builder delay = HistogramSnapshot.builder().name("lossmon_label_delay_seconds")
                .help("Delay from prediction to its (first) label, by model").unit(Unit.SECONDS);
        for (Map.Entry<String, long[]> e : delayBuckets.entrySet()) {
            double[] bounds = new double[Accounting.DELAY_BUCKETS.length + 1];
            long[] cumulative = new long[bounds.length];
            long running = 0;
            for (int i = 0; i < bounds.length; i++) {
                bounds[i] = i < Accounting.DELAY_BUCKETS.length ? Accounting.DELAY_BUCKETS[i] : Double.POSITIVE_INFINITY;
                running += e.getValue()[i];
                cumulative[i] = running;
            }
            delay.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, nonCumulative(cumulative)))
                    .sum(delaySums.getOrDefault(e.getKey(), 0L) / 1000.0)
                    .labels(Labels.of("model", e.getKey())).build());
        }
        out.add(delay.build());
    }

    private static long[] nonCumulative(long[] cumulative) {
        long[] counts = new long[cumulative.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
        }
        return counts;
    }

    /** The exported class label of a key, or null when its model is not exported. */
    private String classLabel(WindowKey key, Map<String, TreeSet<String>> classesByModel) {
        if (!exported(key.modelId())) {
            return null;
        }
        if (key.isAll()) {
            return ALL;
        }
        TreeSet<String> kept = classesByModel.get(key.modelId());
        if (kept != null && kept.contains(key.className())) {
            return key.className();
        }
        folded.computeIfAbsent(key.modelId(), m -> ConcurrentHashMap.newKeySet()).add(key.className());
        return OTHER;
    }

    /** The first maxClasses class names of each model, in index order (numeric names by value). */
    private Map<String, TreeSet<String>> keptClasses(Iterable<WindowKey> keys) {
        Map<String, TreeSet<String>> all = new HashMap<>();
        for (WindowKey k : keys) {
            if (!k.isAll()) {
                all.computeIfAbsent(k.modelId(), m -> new TreeSet<>(StoreMetrics::compareClasses)).add(k.className());
            }
        }
        Map<String, TreeSet<String>> kept = new HashMap<>();
        all.forEach((model, names) -> {
            TreeSet<String> first = new TreeSet<>(StoreMetrics::compareClasses);
            for (String n : names) {
                if (first.size() == maxClasses) {
                    break;
                }
                first.add(n);
            }
            kept.put(model, first);
        });
        return kept;
    }

    private static int compareClasses(String a, String b) {
        boolean na = a.matches("\\d{1,9}");
        boolean nb = b.matches("\\d{1,9}");
        if (na && nb) {
            return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
        }
        return na ? -1 : nb ? 1 : a.compareTo(b);
    }

    private void totals(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out, Set<ModelVersion> retired) {
        Map<String, LossTotal> totals = new HashMap<>();
        stores.<String, LossTotal>forEach(Names.LOSS_TOTALS_STORE, totals::put);
        Map<WindowKey, LossTotal> byKey = new HashMap<>();
        totals.forEach((k, v) -> {
            WindowKey key = WindowKey.decode(k);
            if (!retired.contains(ModelVersion.of(key))) {
                byKey.put(key, v);
            }
        });
        Map<String, TreeSet<String>> kept = keptClasses(byKey.keySet());
        Map<Labels, double[]> series = new TreeMap<>();
        for (Map.Entry<WindowKey, LossTotal> e : byKey.entrySet()) {
            String cls = classLabel(e.getKey(), kept);
            if (cls == null) {
                continue;
            }
            LossTotal t = e.getValue();
            Labels labels = Labels.of("model", e.getKey().modelId(), "version", e.getKey().modelVersion(), "class", cls,
                    "loss", lossName(t.lossKind()));
            double[] s = series.computeIfAbsent(labels, l -> new double[5]);
            s[0] += t.numerator();
            s[1] += t.denominator();
            s[2] += t.retractedNumerator();
            s[3] += t.retractedDenominator();
            s[4] += t.scored();
        }
        String[][] names = {
            {"lossmon_loss_numerator", "Sum of the loss numerator contributions of scored events"},
            {"lossmon_loss_denominator", "Sum of the loss denominator contributions: rate(numerator)/rate(denominator) is PyTorch's mean"},
            {"lossmon_loss_retracted_numerator", "Numerator withdrawn by corrected labels; subtract from the numerator"},
            {"lossmon_loss_retracted_denominator", "Denominator withdrawn by corrected labels; subtract from the denominator"},
            {"lossmon_scored_events", "Scores (first labels and corrections) per key"}};
        for (int i = 0; i < names.length; i++) {
            CounterSnapshot.Builder b = CounterSnapshot.builder().name(names[i][0]).help(names[i][1]);
            for (Map.Entry<Labels, double[]> e : series.entrySet()) {
                b.dataPoint(counter(e.getKey(), e.getValue()[i]));
            }
            out.add(b.build());
        }
        CounterSnapshot.Builder foldedSeries = CounterSnapshot.builder().name("lossmon_folded_series")
                .help("Class values folded into class other by the cardinality limit, by model");
        folded.forEach((model, classes) -> foldedSeries.dataPoint(counter(Labels.of("model", model), classes.size())));
        out.add(foldedSeries.build());
    }

    private void windows(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out,
                         Map<String, LatestWindow<WindowAggregate>> all, Set<ModelVersion> retired) {
        Map<String, LatestWindow<WindowAggregate>> latest = new HashMap<>();
        all.forEach((k, w) -> {
            if (!retired.contains(ModelVersion.of(WindowKey.decode(LatestWindow.windowKey(k))))) {
                latest.put(k, w);
            }
        });
        List<WindowKey> keys = latest.keySet().stream().map(k -> WindowKey.decode(LatestWindow.windowKey(k))).toList();
        Map<String, TreeSet<String>> kept = keptClasses(keys);
        // Folded classes are merged when their newest windows are the same window.
        Map<Labels, WindowAggregate> merged = new TreeMap<>();
        Map<Labels, Long> starts = new HashMap<>();
        for (Map.Entry<String, LatestWindow<WindowAggregate>> e : latest.entrySet()) {
            WindowKey key = WindowKey.decode(LatestWindow.windowKey(e.getKey()));
            String cls = classLabel(key, kept);
            if (cls == null) {
                continue;
            }
            LatestWindow<WindowAggregate> w = e.getValue();
            Labels labels = Labels.of("model", key.modelId(), "version", key.modelVersion(), "class", cls,
                    "loss", lossName(w.aggregate().lossKind()), "window", Durations.format(Duration.ofMillis(w.sizeMs())));
            Long start = starts.get(labels);
            if (start == null || start < w.startMs()) {
                starts.put(labels, w.startMs());
                merged.put(labels, copy(w.aggregate()));
            } else if (start == w.startMs()) {
                merged.get(labels).merge(w.aggregate());
            }
        }
        GaugeSnapshot.Builder mean = gauge("lossmon_window_loss_mean", "Loss mean of the newest window per size (PyTorch reduction='mean')");
        GaugeSnapshot.Builder stderr = gauge("lossmon_window_loss_standard_error", "Standard error of that mean");
        GaugeSnapshot.Builder events = gauge("lossmon_window_events", "Scored events in the newest window");
        GaugeSnapshot.Builder accuracy = gauge("lossmon_window_accuracy", "Top-1 (thresholded) accuracy in the newest window");
        GaugeSnapshot.Builder ece = gauge("lossmon_window_ece", "Expected calibration error (15 bins) in the newest window");
        GaugeSnapshot.Builder baseline = gauge("lossmon_window_baseline_loss", "Loss of predicting the window's label distribution");
        GaugeSnapshot.Builder ne = gauge("lossmon_window_normalized_entropy",
                "Loss mean / baseline: below 1 beats the base rate; NaN while all labels are one class (baseline 0)");
        GaugeSnapshot.Builder start = gauge("lossmon_window_start_seconds", "Start of the newest window (prediction time)");
        for (Map.Entry<Labels, WindowAggregate> e : merged.entrySet()) {
            WindowAggregate a = e.getValue();
            Labels l = e.getKey();
            point(mean, l, a.mean());
            point(stderr, l, a.standardError());
            point(events, l, a.events());
            point(accuracy, l, a.accuracy());
            point(ece, l, a.ece());
            point(baseline, l, a.baselineLoss());
            point(ne, l, a.normalizedEntropy());
            point(start, l, starts.get(l) / 1000.0);
        }
        for (GaugeSnapshot.Builder b : List.of(mean, stderr, events, accuracy, ece, baseline, ne, start)) {
            out.add(b.build());
        }
    }

    private void predictionWindows(List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out,
                                   Map<String, LatestWindow<PredictionWindowAggregate>> latest,
                                   Set<ModelVersion> retired) {
        GaugeSnapshot.Builder entropy = gauge("lossmon_prediction_entropy_mean", "Mean entropy (nats) of the predictions in the newest window, label-free");
        GaugeSnapshot.Builder confidence = gauge("lossmon_prediction_confidence_mean", "Mean top-1 confidence of the predictions in the newest window");
        GaugeSnapshot.Builder count = gauge("lossmon_prediction_window_events", "Predictions in the newest window");
        GaugeSnapshot.Builder ratio = gauge("lossmon_predicted_class_ratio", "Share of predictions of each class in the newest window");
        latest.forEach((k, w) -> {
            WindowKey key = WindowKey.decode(LatestWindow.windowKey(k));
            if (!exported(key.modelId()) || retired.contains(ModelVersion.of(key))) {
                return;
            }
            String window = Durations.format(Duration.ofMillis(w.sizeMs()));
            Labels l = Labels.of("model", key.modelId(), "version", key.modelVersion(), "window", window);
            point(entropy, l, w.aggregate().entropyMean());
            point(confidence, l, w.aggregate().confidenceMean());
            point(count, l, w.aggregate().count());
            double[] ratios = w.aggregate().predictedClassRatio();
            double other = 0;
            for (int c = 0; c < ratios.length; c++) {
                if (c < maxClasses) {
                    point(ratio, l.add("class", Integer.toString(c)), ratios[c]);
                } else {
                    other += ratios[c];
                }
            }
            if (ratios.length > maxClasses) {
                point(ratio, l.add("class", OTHER), other);
            }
        });
        for (GaugeSnapshot.Builder b : List.of(entropy, confidence, count, ratio)) {
            out.add(b.build());
        }
    }

    private static WindowAggregate copy(WindowAggregate a) {
        return new WindowAggregate().merge(a);
    }

    static String lossName(LossKind kind) {
        return kind == null ? "unknown" : kind.name().toLowerCase(Locale.ROOT);
    }

    private static GaugeSnapshot.Builder gauge(String name, String help) {
        return GaugeSnapshot.builder().name(name).help(help);
    }

    private static void point(GaugeSnapshot.Builder b, Labels labels, double value) {
        if (Double.isFinite(value)) {
            b.dataPoint(gauge(labels, value));
        }
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot gauge(Labels labels, double value) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static CounterSnapshot.CounterDataPointSnapshot counter(Labels labels, double value) {
        return CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(Math.max(0, value)).build();
    }
}
