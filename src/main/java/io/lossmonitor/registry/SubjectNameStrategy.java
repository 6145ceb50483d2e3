package io.lossmonitor.registry;

import org.apache.avro.Schema;

/** Confluent's subject naming strategies; configuration accepts their short names and Confluent's class names. */
public enum SubjectNameStrategy {
    /** {@code <topic>-key} / {@code <topic>-value}: one schema lineage per topic (the default). */
    TOPIC,
    /** The record's full name: one lineage per record type, across topics. */
    RECORD,
    /** {@code <topic>-<record full name>}: several record types per topic. */
    TOPIC_RECORD;

    public String subject(String topic, boolean isKey, Schema schema) {
        switch (this) {
            case TOPIC: return topic + (isKey ? "-key" : "-value");
            case RECORD: return schema.getFullName();
            case TOPIC_RECORD: return topic + "-" + schema.getFullName();
            default: throw new AssertionError(this);
        }
    }

    /** Parses {@code TopicNameStrategy}, {@code io.confluent.kafka.serializers.subject.TopicNameStrategy}, etc. */
    public static SubjectNameStrategy parse(String value) {
        String simple = value.substring(value.lastIndexOf('.') + 1).trim();
        switch (simple) {
            case "TopicNameStrategy": return TOPIC;
            case "RecordNameStrategy": return RECORD;
            case "TopicRecordNameStrategy": return TOPIC_RECORD;
            default: throw new IllegalArgumentException("unknown subject name strategy '" + value + "'; expected"
                    + " TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy");
        }
    }
}
