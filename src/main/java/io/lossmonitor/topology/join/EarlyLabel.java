package io.lossmonitor.topology.join;

import io.lossmonitor.topology.join.JoinInput.LabelInput;

/** A label waiting for its prediction until {@code deadlineMs} (stream time at arrival plus the early-label TTL). */
public record EarlyLabel(LabelInput label, long deadlineMs) {
}
