package io.lossmonitor.topology.intake;

import io.lossmonitor.topology.BinaryReader;
import io.lossmonitor.topology.BinaryWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The codec of the awaiting-schema store: input records whose writer schema could not be fetched because the
 * registry was unreachable, kept whole (key, value, timestamp, headers) until it answers. The store key is the
 * source position, {@code topic 0x00 partition offset} with big-endian numbers, so one topic's records are a
 * contiguous range in the order they were read, and a record read twice (after a crash under at-least-once) is
 * kept once.
 */
final class AwaitingSchema {

    private static final int POSITION_BYTES = Integer.BYTES + Long.BYTES;

    private AwaitingSchema() {
    }

    static Bytes key(Source source) {
        byte[] topic = topicBytes(source.topic());
        return Bytes.wrap(ByteBuffer.allocate(topic.length + 1 + POSITION_BYTES).put(topic).put((byte) 0)
                .putInt(source.partition()).putLong(source.offset()).array());
    }

    /** The first and last possible keys of {@code topic}'s records (partitions and offsets are never negative). */
    static Bytes[] range(String topic) {
        byte[] prefix = topicBytes(topic);
        ByteBuffer from = ByteBuffer.allocate(prefix.length + 1 + POSITION_BYTES).put(prefix).put((byte) 0);
        ByteBuffer to = ByteBuffer.allocate(prefix.length + 1 + POSITION_BYTES).put(prefix).put((byte) 0);
        for (int i = 0; i < POSITION_BYTES; i++) {
            to.put((byte) 0xff);
        }
        return new Bytes[] {Bytes.wrap(from.array()), Bytes.wrap(to.array())};
    }

    static Source source(Bytes key) {
        byte[] k = key.get();
        int topicLength = k.length - 1 - POSITION_BYTES;
        ByteBuffer position = ByteBuffer.wrap(k, topicLength + 1, POSITION_BYTES);
        String topic = new String(k, 0, topicLength, StandardCharsets.UTF_8);
        return new Source(topic, position.getInt(), position.getLong());
    }

    static byte[] value(Record<byte[], byte[]> record) {
        Header[] headers = record.headers().toArray();
        BinaryWriter out = new BinaryWriter(64 + (record.value() == null ? 0 : record.value().length))
                .writeLong(record.timestamp()).writeBytes(record.key()).writeBytes(record.value()).writeInt(headers.length);
        for (Header h : headers) {
            out.writeString(h.key()).writeBytes(h.value());
        }
        return out.toByteArray();
    }

    static Record<byte[], byte[]> record(byte[] value) {
        BinaryReader in = new BinaryReader(value);
        long timestamp = in.readLong();
        byte[] key = in.readBytes();
        byte[] payload = in.readBytes();
        int n = in.readInt();
        RecordHeaders headers = new RecordHeaders();
        for (int i = 0; i < n; i++) {
            headers.add(in.readString(), in.readBytes());
        }
        return new Record<>(key, payload, timestamp, headers);
    }

    private static byte[] topicBytes(String topic) {
        return topic.getBytes(StandardCharsets.UTF_8);
    }
}
