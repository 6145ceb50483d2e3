package io.lossmonitor.topology;

import io.lossmonitor.config.Durations;
import java.time.Duration;

/**
 * Every processor, state store and internal topic of the topology, named once. Renaming one changes the
 * application's internal topics and stores: a deliberate, migration-worthy act (the topology snapshot test fails).
 */
public final class Names {

    private Names() {
    }

    // Sources and sinks.
    public static final String PREDICTIONS_SOURCE = "predictions-source";
    public static final String LABELS_SOURCE = "labels-source";
    public static final String MODELS_SOURCE = "models-source";
    public static final String SCORED_EVENTS_SINK = "scored-events-sink";
    public static final String LATE_LABELS_SINK = "late-labels-sink";
    public static final String INTAKE_DEAD_LETTERS_SINK = "intake-dead-letters-sink";
    public static final String JOIN_DEAD_LETTERS_SINK = "join-dead-letters-sink";

    // Processors.
    public static final String DECODE_PREDICTIONS = "decode-predictions";
    public static final String DECODE_LABELS = "decode-labels";
    /** The intake's accepted records, from both decoders. */
    public static final String MERGE_INTAKE = "merge-intake";
    /** The intake's dead letters, from both decoders. */
    public static final String MERGE_DEAD_LETTERS = "merge-dead-letters";
    /** Sends each accepted record to its join task: joined where it is, or across the join-input repartition. */
    public static final String ROUTE_INTAKE = "route-intake";
    public static final String TO_JOIN_INPUT = "to-join-input";
    public static final String MERGE_JOIN_INPUT = "merge-join-input";
    public static final String TO_DEAD_LETTER = "to-dead-letter";
    /** The one repartition topic: predictions and labels by (model, prediction id), so they are co-partitioned. */
    public static final String JOIN_INPUT = "join-input";
    public static final String LABEL_JOIN = "label-join";
    public static final String TO_SCORE = "to-score";
    public static final String TO_SIGNALS = "to-signals";
    /** Pre-aggregates a join task's label-free signals per (model, version) and granule; flushes on the wall clock. */
    public static final String PREDICTION_WINDOW_PARTIALS = "prediction-window-partials";
    /** Repartition topic of the label-free windows: the join tasks' partials by (model, version). */
    public static final String PREDICTION_WINDOW_INPUT = "prediction-window-input";
    /** Pre-aggregates a join task's scores per (model, version, class) and granule; flushes on the wall clock. */
    public static final String LOSS_WINDOW_PARTIALS = "loss-window-partials";
    /** Repartition topic of the loss windows: the join tasks' partials by (model, version, class). */
    public static final String LOSS_WINDOW_INPUT = "loss-window-input";
    public static final String WINDOW_GROUP = "window-group";
    public static final String SIGNALS_GROUP = "signals-group";
    public static final String TO_LATE_LABELS = "to-late-label";
    public static final String TO_JOIN_DEAD_LETTERS = "to-join-dead-letter";

    // State stores.
    public static final String MODEL_SPECS_STORE = "model-specs";
    /** Window stores: {@code loss-windows-1m}, {@code loss-windows-1h}, ... one per configured size. */
    public static final String LOSS_WINDOWS_STORE_PREFIX = "loss-windows-";
    /** Label-free window stores: {@code prediction-windows-1m}, ... */
    public static final String PREDICTION_WINDOWS_STORE_PREFIX = "prediction-windows-";
    /** The join task's partials, until the next flush: changelogged, so a crash rewinds them with the input. */
    public static final String LOSS_WINDOW_PARTIALS_STORE = "join-loss-window-partials";
    public static final String PREDICTION_WINDOW_PARTIALS_STORE = "join-prediction-window-partials";
    public static final String PREDICTIONS_STORE = "join-predictions";
    public static final String EARLY_LABELS_STORE = "join-early-labels";
    /** The label applied to each scored prediction, and its score: beside the prediction, so it is not rewritten. */
    public static final String APPLIED_LABELS_STORE = "join-applied-labels";
    public static final String EXPIRY_STORE = "join-expiry-index";
    public static final String JOIN_ACCOUNTING_STORE = "join-accounting";
    public static final String INTAKE_ACCOUNTING_STORE = "intake-accounting";
    /** Input records set aside while the registry cannot be reached to fetch their schema. */
    public static final String AWAITING_SCHEMA_STORE = "intake-awaiting-schema";
    /** Cumulative (numerator, denominator) per window key and loss, added and retracted: the metrics' counters. */
    public static final String LOSS_TOTALS_STORE = "loss-totals";
    /** The newest window per window key and size: the metrics' window gauges. */
    public static final String LATEST_WINDOWS_STORE = "latest-windows";
    public static final String LATEST_PREDICTION_WINDOWS_STORE = "latest-prediction-windows";
    public static final String LOSS_TOTALS = "loss-totals";

    /** Record headers loss-monitor adds; the source coordinates survive the repartition to the join. */
    public static final String HEADER_REASON = "lossmon.reason";
    public static final String HEADER_DETAIL = "lossmon.detail";
    public static final String HEADER_MODEL = "lossmon.model";
    public static final String HEADER_SOURCE_TOPIC = "lossmon.source.topic";
    public static final String HEADER_SOURCE_PARTITION = "lossmon.source.partition";
    public static final String HEADER_SOURCE_OFFSET = "lossmon.source.offset";

    public static String lossWindowStore(Duration size) {
        return LOSS_WINDOWS_STORE_PREFIX + Durations.format(size);
    }

    public static String predictionWindowStore(Duration size) {
        return PREDICTION_WINDOWS_STORE_PREFIX + Durations.format(size);
    }
}
