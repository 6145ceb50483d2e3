package io.lossmonitor.events;

import java.util.Arrays;

/**
 * A decoded {@code Label}: a class-index target ({@link #hasIndexTarget()}) or a vector target in a primitive array.
 *
 * @param targetIndex  the class index when the target is an index, else -1 (meaningless)
 * @param targetVector the target vector (soft probabilities or multi-hot) when the target is a vector, else null
 * @param weight       the sample weight; 1 when the label carries none
 */
public record LabelEvent(String predictionId, String modelId, long timestampMs, int targetIndex, double[] targetVector,
                         double weight) {

    public boolean hasIndexTarget() {
        return targetVector == null;
    }

    /** Same target and weight as {@code other}: a second copy of it would change no score. */
    public boolean sameTargetAs(LabelEvent other) {
        return weight == other.weight && hasIndexTarget() == other.hasIndexTarget()
                && (hasIndexTarget() ? targetIndex == other.targetIndex : Arrays.equals(targetVector, other.targetVector));
    }
}
