package io.lossmonitor.topology.join;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Keys of the expiry index: the deadline as 8 big-endian bytes, a kind byte, then the join key. The store orders
 * keys byte-wise, so a range scan up to "now" visits exactly the entries due, and a sweep costs what expires,
 * not what is stored.
 */
final class ExpiryIndex {

    static final byte PREDICTION = 'P';
    static final byte EARLY_LABEL = 'L';

    private ExpiryIndex() {
    }

    static Bytes key(long deadlineMs, byte kind, String joinKey) {
        byte[] id = joinKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(9 + id.length).putLong(deadlineMs).put(kind).put(id).array());
    }

    /** The smallest key. */
    static Bytes from() {
        return Bytes.wrap(new byte[9]);
    }

    /** Just above every key with a deadline at or before {@code nowMs}. */
    static Bytes upTo(long nowMs) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(nowMs + 1).array());
    }

    static long deadline(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    static byte kind(Bytes key) {
        return key.get()[8];
    }

    static String joinKey(Bytes key) {
        byte[] k = key.get();
        return new String(k, 9, k.length - 9, StandardCharsets.UTF_8);
    }
}
