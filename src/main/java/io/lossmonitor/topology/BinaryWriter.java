package io.lossmonitor.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A compact big-endian encoding for internal topics and state stores, which never leave the application and
 * need no schema registry. Strings are length-prefixed UTF-8; arrays are length-prefixed; -1 marks null.
 */
public final class BinaryWriter {

    private ByteBuffer buf;
    private boolean varintLengths;
    private boolean inUse;

    /** One reusable writer per thread for {@link #serializer}: its buffer grows to the largest value once. */
    private static final ThreadLocal<BinaryWriter> REUSED = ThreadLocal.withInitial(() -> new BinaryWriter(1024));

    public BinaryWriter(int initialCapacity) {
        buf = ByteBuffer.allocate(Math.max(16, initialCapacity));
    }

    /**
     * A serializer writing with {@code writer} into the calling thread's reusable buffer: the only allocation per
     * value is the returned array. (A serde is shared by every task and thread that uses its store or topic, so the
     * buffer is per thread.) Null stays null.
     */
    public static <T> org.apache.kafka.common.serialization.Serializer<T> serializer(
            java.util.function.BiConsumer<BinaryWriter, T> writer) {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            BinaryWriter w = REUSED.get();
            if (w.inUse) {
                // A writer that serializes a nested value with another such serializer: it gets its own buffer.
                w = new BinaryWriter(256);
            }
            w.buf.clear();
            w.varintLengths = false;
            w.inUse = true;
            try {
                writer.accept(w, value);
                return w.toByteArray();
            } finally {
                w.inUse = false;
            }
        };
    }

    private void ensure(int bytes) {
        if (buf.remaining() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + bytes));
            buf.flip();
            bigger.put(buf);
            buf = bigger;
        }
    }

    /**
     * From here on, lengths and counts are written as zig-zag varints (one byte below 64) instead of 4-byte ints:
     * for stores where every byte per entry counts. The reader must switch at the same point.
     */
    public BinaryWriter varintLengths() {
        varintLengths = true;
        return this;
    }

    private BinaryWriter writeLength(int n) {
        if (!varintLengths) {
            return writeInt(n);
        }
        int v = (n << 1) ^ (n >> 31);
        while ((v & ~0x7f) != 0) {
            writeByte((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        return writeByte(v);
    }

    public BinaryWriter writeByte(int b) {
        ensure(1);
        buf.put((byte) b);
        return this;
    }

    public BinaryWriter writeBoolean(boolean b) {
        return writeByte(b ? 1 : 0);
    }

    public BinaryWriter writeInt(int v) {
        ensure(4);
        buf.putInt(v);
        return this;
    }

    public BinaryWriter writeLong(long v) {
        ensure(8);
        buf.putLong(v);
        return this;
    }

    public BinaryWriter writeDouble(double v) {
        ensure(8);
        buf.putDouble(v);
        return this;
    }

    public BinaryWriter writeString(String s) {
        if (s == null) {
            return writeLength(-1);
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeLength(bytes.length);
        ensure(bytes.length);
        buf.put(bytes);
        return this;
    }

    public BinaryWriter writeBytes(byte[] bytes) {
        if (bytes == null) {
            return writeLength(-1);
        }
        writeLength(bytes.length);
        ensure(bytes.length);
        buf.put(bytes);
        return this;
    }

    public BinaryWriter writeDoubles(double[] values) {
        if (values == null) {
            return writeLength(-1);
        }
        writeLength(values.length);
        ensure(8 * values.length);
        buf.asDoubleBuffer().put(values);
        buf.position(buf.position() + 8 * values.length);
        return this;
    }

    /**
     * An array that is mostly +0.0 (a one-hot label distribution) as its length, the count of the other entries and
     * their (index, value) pairs; an array where that would not be smaller is written whole after a count of -1.
     * Bit-exact: -0.0 and NaN count as other entries. {@link BinaryReader#readSparseDoubles} reads it.
     */
    public BinaryWriter writeSparseDoubles(double[] values) {
        if (values == null) {
            return writeLength(-1);
        }
        int others = 0;
        for (double v : values) {
            if (Double.doubleToRawLongBits(v) != 0) {
                others++;
            }
        }
        writeLength(values.length);
        if (others * 12 >= values.length * 8) {
            writeLength(-1);
            ensure(8 * values.length);
            buf.asDoubleBuffer().put(values);
            buf.position(buf.position() + 8 * values.length);
            return this;
        }
        writeLength(others);
        for (int i = 0; i < values.length; i++) {
            if (Double.doubleToRawLongBits(values[i]) != 0) {
                writeLength(i);
                writeDouble(values[i]);
            }
        }
        return this;
    }

    public BinaryWriter writeInts(int[] values) {
        writeLength(values.length);
        ensure(4 * values.length);
        for (int v : values) {
            buf.putInt(v);
        }
        return this;
    }

    public BinaryWriter writeStrings(String[] values) {
        writeLength(values.length);
        for (String v : values) {
            writeString(v);
        }
        return this;
    }

    public BinaryWriter writeStringMap(Map<String, String> map) {
        writeLength(map.size());
        for (Map.Entry<String, String> e : map.entrySet()) {
            writeString(e.getKey());
            writeString(e.getValue());
        }
        return this;
    }

    public byte[] toByteArray() {
        byte[] out = new byte[buf.position()];
        System.arraycopy(buf.array(), 0, out, 0, out.length);
        return out;
    }
}
