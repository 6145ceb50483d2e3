package io.lossmonitor.topology.intake;

import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Where an input record was read: it travels with dead letters and late labels, and keys records awaiting a schema. */
record Source(String topic, int partition, long offset) {

    static final Source UNKNOWN = new Source(null, -1, -1);

    static Source of(java.util.Optional<RecordMetadata> meta) {
        return meta.map(m -> new Source(m.topic(), m.partition(), m.offset())).orElse(UNKNOWN);
    }
}
