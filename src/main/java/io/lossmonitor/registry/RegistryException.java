package io.lossmonitor.registry;

import org.apache.kafka.common.errors.SerializationException;

/**
 * An answer from the schema registry that is not the schema asked for, with Confluent's error code: 40401 subject
 * not found, 40402 version not found, 40403 schema not found, 409 incompatible schema, 42201 invalid schema, 50001+
 * registry-side errors; {@link #UNREACHABLE} when no registry URL answered after the configured retries;
 * {@link #UNUSABLE_SCHEMA} when the schema it answered cannot be read as Avro.
 *
 * <p>It is a Kafka {@link SerializationException}, so a deserialization handler can route the record to a
 * dead-letter topic with this message.
 */
public final class RegistryException extends SerializationException {

    private static final long serialVersionUID = 1L;

    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    /** Not a registry code: no configured URL answered. */
    public static final int UNREACHABLE = -1;
    /**
     * Not a registry code: the registry has the schema, but it cannot be read as Avro (a Protobuf or JSON Schema, a
     * schema that does not parse, or references that cannot be resolved into one).
     */
    public static final int UNUSABLE_SCHEMA = -2;

    private final int errorCode;
    private final int httpStatus;

    public RegistryException(int errorCode, int httpStatus, String message) {
        super(message);
        this.errorCode = errorCode;
        this.httpStatus = httpStatus;
    }

    public RegistryException(int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
        this.httpStatus = -1;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The HTTP status of the answer, or -1 when there was none. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether trying again later can succeed (the registry was unreachable or failed on its side). */
    public boolean isRetriable() {
        return errorCode == UNREACHABLE || httpStatus >= 500;
    }
}
