package io.lossmonitor.generator;

import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.Prediction;

/** One record as it reaches Kafka, at {@code arrivalMs}, with what the generator knows about it. */
public sealed interface GeneratedRecord {

    long arrivalMs();

    /** Whether the record is valid; invalid ones must end in the dead-letter topic. */
    boolean valid();

    /** A prediction; {@code duplicate} for the second copy of one. */
    record PredictionRecord(long arrivalMs, Prediction prediction, boolean valid, boolean duplicate)
            implements GeneratedRecord {
    }

    /** A label; {@code role} says whether it is the first, an identical duplicate, or a correction. */
    record LabelRecord(long arrivalMs, Label label, boolean valid, Role role) implements GeneratedRecord {
        public enum Role { FIRST, DUPLICATE, CORRECTION }
    }
}
