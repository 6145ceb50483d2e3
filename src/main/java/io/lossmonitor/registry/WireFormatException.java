package io.lossmonitor.registry;

import org.apache.kafka.common.errors.SerializationException;

/** A payload that is not (or not entirely) a Confluent-framed Avro record. */
public final class WireFormatException extends SerializationException {

    private static final long serialVersionUID = 1L;

    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
