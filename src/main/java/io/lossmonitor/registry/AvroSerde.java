package io.lossmonitor.registry;

import java.util.Map;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Kafka {@link Serde} of Confluent-framed Avro records of one generated type. */
public final class AvroSerde<T extends GenericContainer> implements Serde<T> {

    private final AvroSerializer<T> serializer;
    private final AvroDeserializer<T> deserializer;

    private AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /** A serde of generated records sharing {@code client} (and so its caches) with the application's other serdes. */
    public static <T extends SpecificRecord> AvroSerde<T> specific(RegistryClient client, Class<T> type, boolean isKey) {
        return new AvroSerde<>(new AvroSerializer<>(client, isKey),
                new AvroDeserializer<>(client, AvroDeserializer.specificReader(type)));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
