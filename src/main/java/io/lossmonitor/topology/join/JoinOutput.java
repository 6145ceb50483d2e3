package io.lossmonitor.topology.join;

import io.lossmonitor.topology.join.JoinInput.LabelInput;
import io.lossmonitor.topology.score.Score;

/** What the join emits: scores (and retractions), late labels, and labels rejected at join time. */
public sealed interface JoinOutput {

    record Scored(Score score) implements JoinOutput {
    }

    /** A new (not duplicate) valid prediction, for the label-free windows. */
    record Observed(io.lossmonitor.topology.score.PredictionSignals signals) implements JoinOutput {
    }

    /** A label that cannot be joined: {@code reason} is {@code too-late}, {@code orphan}. */
    record Late(LabelInput label, String reason) implements JoinOutput {
    }

    /** A label that does not fit its prediction (wrong target range or length). */
    record Rejected(LabelInput label, String reason, String message) implements JoinOutput {
    }
}
