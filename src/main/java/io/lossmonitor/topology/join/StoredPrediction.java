package io.lossmonitor.topology.join;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.topology.score.Score;

/**
 * A prediction held by the join until {@code deadlineMs} (its event time plus the model's maximum label delay):
 * pending while {@code label} is null, then with the label applied and the score it produced, which a correction
 * retracts.
 */
public record StoredPrediction(PredictionEvent prediction, long deadlineMs, LabelEvent label, Score score) {

    public boolean pending() {
        return label == null;
    }

    /** This prediction (and its label and score) with the ids its store key holds and its stored form leaves out. */
    public StoredPrediction withIds(String joinKey) {
        String modelId = JoinKeys.modelId(joinKey);
        String predictionId = JoinKeys.predictionId(joinKey);
        PredictionEvent p = prediction;
        PredictionEvent full = new PredictionEvent(predictionId, modelId, p.modelVersion(), p.timestampMs(), p.task(),
                p.output(), p.scores(), p.segments());
        LabelEvent l = label == null ? null : new LabelEvent(predictionId, modelId, label.timestampMs(),
                label.targetIndex(), label.targetVector(), label.weight());
        Score s = score == null || score.modelId() != null ? score : score.withIds(modelId, predictionId);
        return new StoredPrediction(full, deadlineMs, l, s);
    }
}
