package io.lossmonitor.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Reads what {@link BinaryWriter} wrote. */
public final class BinaryReader {

    private final ByteBuffer buf;

    public BinaryReader(byte[] bytes) {
        this.buf = ByteBuffer.wrap(bytes);
    }

    private boolean varintLengths;

    /** From here on, lengths and counts are zig-zag varints: see {@link BinaryWriter#varintLengths()}. */
    public BinaryReader varintLengths() {
        varintLengths = true;
        return this;
    }

    private int readLength() {
        if (!varintLengths) {
            return buf.getInt();
        }
        int v = 0;
        for (int shift = 0; ; shift += 7) {
            int b = buf.get();
            v |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        return (v >>> 1) ^ -(v & 1);
    }

    /** The next byte, not consumed. */
    public int peekByte() {
        return buf.get(buf.position());
    }

    public int readByte() {
        return buf.get();
    }

    public boolean readBoolean() {
        return buf.get() != 0;
    }

    public int readInt() {
        return buf.getInt();
    }

    public long readLong() {
        return buf.getLong();
    }

    public double readDouble() {
        return buf.getDouble();
    }

    public String readString() {
        int n = readLength();
        if (n < 0) {
            return null;
        }
        String s = new String(buf.array(), buf.arrayOffset() + buf.position(), n, StandardCharsets.UTF_8);
        buf.position(buf.position() + n);
        return s;
    }

    public byte[] readBytes() {
        int n = readLength();
        if (n < 0) {
            return null;
        }
        byte[] out = new byte[n];
        buf.get(out);
        return out;
    }

    public double[] readDoubles() {
        int n = readLength();
        if (n < 0) {
            return null;
        }
        double[] out = new double[n];
        buf.asDoubleBuffer().get(out);
        buf.position(buf.position() + 8 * n);
        return out;
    }

    /** What {@link BinaryWriter#writeSparseDoubles} wrote. */
    public double[] readSparseDoubles() {
        int n = readLength();
        if (n < 0) {
            return null;
        }
        double[] out = new double[n];
        int others = readLength();
        if (others < 0) {
            buf.asDoubleBuffer().get(out);
            buf.position(buf.position() + 8 * n);
            return out;
        }
        for (int k = 0; k < others; k++) {
            int i = readLength();
            out[i] = readDouble();
        }
        return out;
    }

    public int[] readInts() {
        int[] out = new int[readLength()];
        for (int i = 0; i < out.length; i++) {
            out[i] = buf.getInt();
        }
        return out;
    }

    public String[] readStrings() {
        String[] out = new String[readLength()];
        for (int i = 0; i < out.length; i++) {
            out[i] = readString();
        }
        return out;
    }

    public Map<String, String> readStringMap() {
        int n = readLength();
        if (n == 0) {
            return Map.of();
        }
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            map.put(readString(), readString());
        }
        return map;
    }
}
