package io.lossmonitor.registry;

import java.nio.ByteBuffer;

/**
 * Confluent's wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary body
 * written with that schema.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /**
     * The schema id of a framed payload.
     *
     * @throws WireFormatException when the payload is too short or does not start with the magic byte
     */
    public static int schemaId(byte[] payload) {
        if (payload.length < HEADER_SIZE) {
            throw new WireFormatException("payload of " + payload.length + " bytes is shorter than the 5-byte"
                    + " Confluent wire-format header (magic byte 0 + schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new WireFormatException(String.format("unknown magic byte 0x%02x (expected 0x00): the payload is not"
                    + " in the Confluent wire format", payload[0] & 0xff));
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }

    static void writeHeader(ByteBuffer out, int schemaId) {
        out.put(MAGIC_BYTE).putInt(schemaId);
    }

    /** Writes the 5-byte header (magic byte, big-endian schema id) to {@code out}, where the Avro body follows. */
    public static void writeHeader(java.io.ByteArrayOutputStream out, int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }
}
