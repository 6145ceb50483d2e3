package io.lossmonitor.topology.intake;

import io.lossmonitor.topology.join.JoinInput;

/** What intake makes of a raw record: an input for the join, or a dead letter (the original bytes, reason in headers). */
public sealed interface Intake {

    /**
     * @param home whether the record already is in its join task's partition ({@link
     *             io.lossmonitor.topology.InputRouting#isHome}), so that it need not be repartitioned
     */
    record Accepted(JoinInput input, boolean home) implements Intake {
    }

    record DeadLetter(byte[] key, byte[] value) implements Intake {
    }
}
