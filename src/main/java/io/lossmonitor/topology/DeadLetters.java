package io.lossmonitor.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Headers of records loss-monitor sends to the dead-letter and late-labels topics: the reason code, a message a
 * person understands, the model if known, and where the record came from. The source coordinates are written under
 * both loss-monitor's names and those of Kafka Streams' own dead-letter queue (KIP-1034), so one tool reads both.
 */
public final class DeadLetters {

    public static final String STREAMS_TOPIC = "__streams.errors.topic";
    public static final String STREAMS_PARTITION = "__streams.errors.partition";
    public static final String STREAMS_OFFSET = "__streams.errors.offset";
    public static final String STREAMS_MESSAGE = "__streams.errors.message";
    public static final String STREAMS_EXCEPTION = "__streams.errors.exception";

    private DeadLetters() {
    }

    public static Headers headers(String reason, String message, String model, String topic, int partition, long offset) {
        Headers headers = new RecordHeaders();
        put(headers, Names.HEADER_REASON, reason);
        put(headers, Names.HEADER_DETAIL, message);
        if (model != null && !model.isEmpty()) {
            put(headers, Names.HEADER_MODEL, model);
        }
        if (topic != null) {
            put(headers, Names.HEADER_SOURCE_TOPIC, topic);
            put(headers, Names.HEADER_SOURCE_PARTITION, Integer.toString(partition));
            put(headers, Names.HEADER_SOURCE_OFFSET, Long.toString(offset));
            put(headers, STREAMS_TOPIC, topic);
            put(headers, STREAMS_PARTITION, Integer.toString(partition));
            put(headers, STREAMS_OFFSET, Long.toString(offset));
        }
        put(headers, STREAMS_MESSAGE, message);
        put(headers, STREAMS_EXCEPTION, "io.lossmonitor." + reason);
        return headers;
    }

    public static String get(Headers headers, String key) {
        var header = headers.lastHeader(key);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void put(Headers headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8));
    }
}
