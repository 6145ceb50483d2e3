package io.lossmonitor.topology.score;

import io.lossmonitor.loss.Reduction;
import io.lossmonitor.schema.LossKind;
import java.util.Map;

/**
 * One event's scoring result, or its retraction: the (numerator, denominator) contribution to any mean over a set
 * of events, the per-class split of it, and the prediction's own statistics. Class arrays are parallel.
 *
 * @param classProbability  per class contribution: the predicted probability of that class (CE) or label (BCE)
 * @param correct           1 correct, 0 wrong, -1 undefined (ignored target)
 * @param labelDistribution the event's target as a distribution over the model's classes (one-hot for an index
 *                          target, the vector otherwise; zeros when ignored), times the sample weight
 */
public record Score(String modelId, String modelVersion, String predictionId, long predictionTime, long labelTime,
                    LossKind lossKind, boolean retraction, double numerator, double denominator,
                    int[] classIndex, String[] className, double[] classNumerator, double[] classDenominator,
                    double[] classProbability, int predictedClass, double confidence, int correct, double entropy,
                    double sampleWeight, double[] labelDistribution, Map<String, String> segments) {

    /** PyTorch's mean over this event alone; NaN when its target is ignored or weighs 0 ({@link Reduction#mean}). */
    public double loss() {
        return Reduction.mean(numerator, denominator);
    }

    /** This score with the given ids (a stored score leaves them to its store key). */
    public Score withIds(String modelId, String predictionId) {
        return new Score(modelId, modelVersion, predictionId, predictionTime, labelTime, lossKind, retraction, numerator,
                denominator, classIndex, className, classNumerator, classDenominator, classProbability, predictedClass,
                confidence, correct, entropy, sampleWeight, labelDistribution, segments);
    }

    public Score asRetraction() {
        return new Score(modelId, modelVersion, predictionId, predictionTime, labelTime, lossKind, true, numerator,
                denominator, classIndex, className, classNumerator, classDenominator, classProbability, predictedClass,
                confidence, correct, entropy, sampleWeight, labelDistribution, segments);
    }
}
