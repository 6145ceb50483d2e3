package io.lossmonitor.topology;

import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.score.ScoringRule;
import java.time.Duration;
import java.util.Map;

/**
 * What the topology is a function of: topic names, time limits, and the model specs given in configuration
 * (the {@code models} topic overrides them per model).
 *
 * @param maxLabelDelay      how long after its prediction's event time a label is still joined (per-model override:
 *                           ModelSpec.max_label_delay_ms); also how long a scored prediction is kept for corrections
 * @param earlyLabelTtl      how long (stream time) a label waits for its prediction
 * @param maxClockSkew       a payload timestamp further than this ahead of its record's timestamp is invalid: it
 *                           would otherwise drag stream time forward and expire everything
 * @param punctuateInterval  how often (stream time) expired state is swept
 * @param maxScores          the largest score or target vector accepted
 * @param partitions         partition count of the internal by-id topics (0: as many as the inputs)
 * @param windowSizes        the window sizes aggregated at once (on prediction time); their grace is
 *                           {@code maxLabelDelay}, so late labels still update windows already reported
 * @param predictionGrace    grace of the label-free prediction windows (predictions arrive without delay)
 * @param lossWindowsTopic   where every window update is written
 * @param maxPending         most pending predictions one join task holds (0: no limit); beyond it the one with the
 *                           earliest deadline is expired early and counted as evicted
 * @param windowFlushInterval how often (wall clock) each join task sends what it pre-aggregated to the windows: the
 *                           most a window update lags its score, and what bounds the window repartition's traffic
 * @param inputRouting       how accepted inputs reach their join task ({@link InputRouting}: through the join-input
 *                           repartition, or where they are when producers key them by prediction id)
 * @param recentPredictionsBytes heap per join task for the pending predictions it stored most recently, so that a label
 *                           coming soon after its prediction is joined without reading it from RocksDB (0: none)
 */
public record TopologyConfig(
        String predictionsTopic,
        String labelsTopic,
        String modelsTopic,
        String scoredEventsTopic,
        String lateLabelsTopic,
        String deadLetterTopic,
        Duration maxLabelDelay,
        Duration earlyLabelTtl,
        Duration maxClockSkew,
        Duration punctuateInterval,
        int maxScores,
        int partitions,
        Map<String, ModelSpec> modelSpecs,
        java.util.List<Duration> windowSizes,
        Duration predictionGrace,
        String lossWindowsTopic,
        long maxPending,
        Duration windowFlushInterval,
        InputRouting inputRouting,
        long recentPredictionsBytes) {

    public static final String PREDICTIONS = "predictions";
    public static final String LABELS = "labels";
    public static final String MODELS = "models";
    public static final String SCORED_EVENTS = "scored-events";
    public static final String LATE_LABELS = "late-labels";
    public static final String DEAD_LETTERS = "loss-monitor-dead-letters";
    public static final String LOSS_WINDOWS = "loss-windows";
    /** Per join task: at ~200 bytes of state each, about 200 MB of pending predictions per task. */
    public static final long DEFAULT_MAX_PENDING = 1_000_000;
    /** 8 MB per join task: about 8,000 pending predictions of 100 scores, 40,000 of 10. */
    public static final long DEFAULT_RECENT_PREDICTIONS_BYTES = 8L << 20;
    public static final java.util.List<Duration> DEFAULT_WINDOWS =
            java.util.List.of(Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1));

    public TopologyConfig {
        modelSpecs = Map.copyOf(modelSpecs);
        windowSizes = java.util.List.copyOf(windowSizes);
        if (windowSizes.isEmpty() || windowSizes.stream().anyMatch(d -> d.isNegative() || d.isZero())
                || windowSizes.stream().distinct().count() != windowSizes.size()) {
            throw new IllegalArgumentException("window sizes must be distinct positive durations, got " + windowSizes);
        }
        if (recentPredictionsBytes < 0) {
            throw new IllegalArgumentException("recentPredictionsBytes must be >= 0 (0: none), got " + recentPredictionsBytes);
        }
        if (maxPending < 0) {
            throw new IllegalArgumentException("maxPending must be >= 0 (0: no limit), got " + maxPending);
        }
        if (predictionGrace.isNegative()) {
            throw new IllegalArgumentException("prediction window grace must not be negative, got " + predictionGrace);
        }
        for (Duration d : new Duration[] {maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, windowFlushInterval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("durations must be positive, got " + d);
            }
        }
        if (inputRouting == null) {
            throw new IllegalArgumentException("input routing must be given");
        }
        if (inputRouting.mode() == InputRouting.Mode.LOCAL_FIRST && partitions > 0 && partitions != inputRouting.partitions()) {
            // Records read where they are sit in the inputs' partition numbers; the others must land on the same ones.
            throw new IllegalArgumentException("LOCAL_FIRST routing needs the join-input topic to have the inputs' "
                    + inputRouting.partitions() + " partitions, but partitions is " + partitions);
        }
        if (maxScores < 1) {
            throw new IllegalArgumentException("maxScores must be >= 1, got " + maxScores);
        }
    }

    /**
     * The largest input record (key, value and headers) the intake accepts: 16 bytes per score of {@code maxScores} (a score
     * vector and a target vector of that length) plus 32 KiB for ids, segments and the rest. With it the records the
     * service derives from one event (the stored prediction with its label and score, the scored event with one entry
     * per class, the join input, a dead letter) stay under {@link #maxRecordBytes()}, 0.79 MB at the default of
     * 10,000 scores, within Kafka's default 1 MB message limit; a larger record would fail its transaction and stop
     * the stream thread.
     */
    public long maxInputBytes() {
        return 16L * maxScores + 32 * 1024;
    }

    /**
     * An upper bound of the largest record the service writes for an event it accepts: the stored prediction with its
     * label and score (the prediction's and the label's inputs, which carry the ids, and 38 bytes per score for the
     * per-class score, measured; 40 here), or the scored event (23 bytes per class, 24 here, the class names' budget,
     * the ids and segments), whichever is larger, with 4 KiB for record overhead. 0.79 MB at the default
     * {@code maxScores}.
     */
    public long maxRecordBytes() {
        long stored = 2 * maxInputBytes() + 40L * maxScores;
        long scored = maxInputBytes() + 24L * maxScores + ScoringRule.MAX_CLASS_NAME_BYTES;
        return Math.max(stored, scored) + 4096;
    }

    /**
     * The time unit the join tasks pre-aggregate in: the greatest common divisor of the window sizes, so that each
     * granule lies inside one window of every size (windows are aligned to the epoch).
     */
    public long windowGranuleMs() {
        long g = 0;
        for (Duration size : windowSizes) {
            g = java.math.BigInteger.valueOf(g).gcd(java.math.BigInteger.valueOf(size.toMillis())).longValue();
        }
        return g;
    }

    /**
     * The documented defaults: 7-day label delay, 1-hour early-label wait and clock skew, 10-second sweeps, windows
     * flushed every second.
     */
    public static TopologyConfig defaults() {
        return new TopologyConfig(PREDICTIONS, LABELS, MODELS, SCORED_EVENTS, LATE_LABELS, DEAD_LETTERS,
                Duration.ofDays(7), Duration.ofHours(1), Duration.ofHours(1), Duration.ofSeconds(10), 10_000, 0, Map.of(),
                DEFAULT_WINDOWS, Duration.ofHours(1), LOSS_WINDOWS, DEFAULT_MAX_PENDING, Duration.ofSeconds(1),
                InputRouting.repartition(), DEFAULT_RECENT_PREDICTIONS_BYTES);
    }

    public TopologyConfig withMaxLabelDelay(Duration delay) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, delay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions, modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withEarlyLabelTtl(Duration ttl) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, ttl, maxClockSkew, punctuateInterval, maxScores, partitions, modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withModelSpecs(Map<String, ModelSpec> specs) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions, specs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withTopics(String predictions, String labels, String models, String scoredEvents,
                                     String lateLabels, String deadLetters, String lossWindows) {
        return new TopologyConfig(predictions, labels, models, scoredEvents, lateLabels, deadLetters, maxLabelDelay,
                earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions, modelSpecs, windowSizes,
                predictionGrace, lossWindows, maxPending, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withWindowSizes(java.util.List<Duration> sizes) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions,
                modelSpecs, sizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withWindowFlushInterval(Duration interval) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions,
                modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, interval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withMaxPending(long limit) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions,
                modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, limit, windowFlushInterval, inputRouting, recentPredictionsBytes);
    }

    public TopologyConfig withRecentPredictionsBytes(long bytes) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions,
                modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, inputRouting,
                bytes);
    }

    public TopologyConfig withInputRouting(InputRouting routing) {
        return new TopologyConfig(predictionsTopic, labelsTopic, modelsTopic, scoredEventsTopic, lateLabelsTopic,
                deadLetterTopic, maxLabelDelay, earlyLabelTtl, maxClockSkew, punctuateInterval, maxScores, partitions,
                modelSpecs, windowSizes, predictionGrace, lossWindowsTopic, maxPending, windowFlushInterval, routing, recentPredictionsBytes);
    }
}
