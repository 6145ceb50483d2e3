package io.lossmonitor.generator;

import java.time.Duration;
import java.util.List;

/**
 * What the generator produces. Probabilities are per prediction; times are event times.
 *
 * @param seed                   same seed, same events, byte for byte
 * @param models                 the simulated models, predicting in turn
 * @param predictions            how many predictions in all
 * @param rate                   predictions per second of event time
 * @param startMs                event time of the first prediction
 * @param labelDelayMean         mean of the exponential label delay
 * @param unlabelledFraction     predictions that never get a label
 * @param earlyLabelFraction     labels that reach Kafka before their prediction (the prediction is published late)
 * @param duplicatePredictions   predictions published twice
 * @param duplicateLabels        labels published twice, identically
 * @param correctionFraction     labels followed later by a corrected label (a different target)
 * @param invalidFraction        predictions or labels that are invalid (NaN score, wrong length, target out of range)
 * @param drift                  a drift to inject, or null
 */
public record TrafficConfig(long seed, List<ModelProfile> models, long predictions, double rate, long startMs,
                            Duration labelDelayMean, double unlabelledFraction, double earlyLabelFraction,
                            double duplicatePredictions, double duplicateLabels, double correctionFraction,
                            double invalidFraction, Drift drift) {

    /** From {@code atMs} on, {@code modelId}'s predictions change. */
    public record Drift(String modelId, long atMs, Kind kind) {
        public enum Kind {
            /**
             * The model loses most of its signal for the true class while its logits are scaled three-fold: it is
             * less accurate and overconfident, so loss, ECE and normalized entropy rise.
             */
            MISCALIBRATION,
            /** The true class balance reverses while the model keeps its learned prior. */
            CLASS_BALANCE
        }
    }

    public TrafficConfig {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("give at least one model");
        }
        if (!(rate > 0)) {
            throw new IllegalArgumentException("rate must be > 0 predictions per second, got " + rate);
        }
        for (double f : new double[] {unlabelledFraction, earlyLabelFraction, duplicatePredictions, duplicateLabels,
                correctionFraction, invalidFraction}) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("fractions must lie in [0, 1], got " + f);
            }
        }
        models = List.copyOf(models);
    }
}
