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
}
