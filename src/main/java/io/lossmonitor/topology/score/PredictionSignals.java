package io.lossmonitor.topology.score;

/**
 * What a prediction says before any label exists: its top-1 class, that class's probability, and the entropy of
 * its predicted distribution (nats). For binary and multi-label models: the positive decision (binary) or the most
 * probable label, the mean of max(p, 1-p) over labels, and the summed binary entropies.
 */
public record PredictionSignals(String modelId, String modelVersion, long predictionTime, int classes,
                                int predictedClass, double confidence, double entropy) {
}
