package io.lossmonitor.events;

import io.lossmonitor.loss.LossInputException;

/**
 * A prediction or label that cannot be scored. {@link #reason()} is a stable code for the dead-letter header and
 * metric label: the {@link LossInputException.Reason} names, plus the intake codes below.
 */
public final class InvalidEventException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Bytes that are not Avro in the Confluent wire format, or not decodable with their schema. */
    public static final String UNDESERIALIZABLE = "UNDESERIALIZABLE";
    /** A record with no value. */
    public static final String NULL_VALUE = "NULL_VALUE";
    /** A payload timestamp before 2000, or further in the future than the allowed clock skew. */
    public static final String TIMESTAMP_OUT_OF_RANGE = "TIMESTAMP_OUT_OF_RANGE";
    /** An input record larger than the service accepts (see {@code TopologyConfig.maxInputBytes()}). */
    public static final String RECORD_TOO_LARGE = "RECORD_TOO_LARGE";
    /** More scores (or target values) than the configured maximum. */
    public static final String TOO_MANY_SCORES = "TOO_MANY_SCORES";
    /** The model's loss does not fit the prediction's task or output kind. */
    public static final String LOSS_MISMATCH = "LOSS_MISMATCH";
    /** The model's spec is itself invalid (e.g. negative class weights). */
    public static final String INVALID_SPEC = "INVALID_SPEC";
    /** A required field is empty (prediction_id, model_id). */
    public static final String MISSING_FIELD = "MISSING_FIELD";
    /** A model id or version with a control character, or longer than a metric label value may be. */
    public static final String INVALID_ID = "INVALID_ID";
    /**
     * With inputs read as partitioned (keyed by prediction id): a record outside the partition its prediction id
     * belongs to, where its prediction or label would never be found.
     */
    public static final String WRONG_PARTITION = "WRONG_PARTITION";

    private final String reason;

    public InvalidEventException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public InvalidEventException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public static InvalidEventException of(LossInputException e) {
        return new InvalidEventException(e.reason().name(), e.getMessage(), e);
    }

    public String reason() {
        return reason;
    }
}
