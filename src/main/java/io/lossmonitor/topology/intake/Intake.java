package io.lossmonitor.topology.intake;

import io.lossmonitor.topology.join.JoinInput;

/** What intake makes of a raw record: an input for the join, or a dead letter (the original bytes, reason in headers). */
public sealed interface Intake {

    record Accepted(JoinInput input) implements Intake {
    }

    record DeadLetter(byte[] key, byte[] value) implements Intake {
    }
}
