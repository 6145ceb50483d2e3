package io.lossmonitor.topology.join;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;

/** What reaches the join through the one by-id repartition topic: a prediction or a label. */
public sealed interface JoinInput {

    /** A validated prediction. */
    record PredictionInput(PredictionEvent prediction) implements JoinInput {
    }

    /**
     * A label, with its original record and where it came from, so that the join can still dead-letter it (if it
     * does not fit its prediction) or send it to the late-labels topic exactly as it was produced.
     */
    record LabelInput(LabelEvent label, byte[] rawKey, byte[] rawValue, String sourceTopic, int sourcePartition,
                      long sourceOffset) implements JoinInput {
    }
}
