package io.lossmonitor.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (specific or generic) in the Confluent wire format. The writer schema is registered under
 * the configured subject ({@code auto.register.schemas=true}, the default), or looked up
 * ({@code auto.register.schemas=false}), or the subject's latest version is used ({@code use.latest.version=true};
 * the record must then match that schema's field order). Ids are cached: no registry call per record.
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    /** Past this many entries the map is cleared: a writer of generic records with ever new schemas must not leak. */
    private static final int MAX_RESOLVED = 1_000;

    private RegistryClient client;
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    /**
     * The ids resolved so far, by topic and schema: the client's own cache is keyed by the schema's JSON text, which
     * costs more to compute than the record's encoding. A serializer may write several record classes to several
     * topics (the traffic generator's serializer writes predictions and labels in turn), so one remembered entry is not enough.
     */
    private final Map<Target, RegistryClient.RegisteredSchema> resolved = new ConcurrentHashMap<>();

    /** Schema instances are compared by identity first (Avro's {@code equals}), and their hash codes are cached. */
    private record Target(String topic, Schema schema) {
    }

    /** For Kafka to instantiate by class name; {@link #configure} then builds the registry client. */
    public AvroSerializer() {
    }

    /** Ready to use with a shared client. */
    public AvroSerializer(RegistryClient client, boolean isKey) {
        this.client = client;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (client == null) {
            client = new RegistryClient(RegistryConfig.from(configs));
        }
    }

    /**
     * The id and writer schema that records of {@code schema} get on {@code topic}, registering or looking it up as
     * configured. Calling it at start-up fills the client's cache, so a later registry outage cannot stop output.
     */
    public RegistryClient.RegisteredSchema resolve(String topic, Schema schema) {
        if (client == null) {
            throw new IllegalStateException("AvroSerializer is not configured: call configure() or pass a RegistryClient");
        }
        RegistryConfig config = client.config();
        String subject = (isKey ? config.keyStrategy() : config.valueStrategy()).subject(topic, isKey, schema);
        if (config.useLatestVersion()) {
            return client.latest(subject);
        }
        int id = config.autoRegister() ? client.register(subject, schema) : client.lookup(subject, schema);
        return new RegistryClient.RegisteredSchema(subject, id, -1, schema);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroSerializer is not configured: call configure() or pass a RegistryClient");
        }
        Schema schema = data.getSchema();
        Target key = new Target(topic, schema);
        RegistryClient.RegisteredSchema target = resolved.get(key);
        if (target == null) {
            target = resolve(topic, schema);
            if (resolved.size() >= MAX_RESOLVED) {
                resolved.clear();
            }
            resolved.put(key, target);
        }
        int id = target.id();
        Schema writerSchema = target.schema();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        WireFormat.writeHeader(out, id);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer(writerSchema, data).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + data.getSchema().getFullName() + " to topic " + topic
                    + " with schema id " + id + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private DatumWriter<Object> writer(Schema schema, T data) {
        return writers.computeIfAbsent(schema, s -> data instanceof SpecificRecord
                ? new SpecificDatumWriter<>(s, SpecificData.getForClass(data.getClass()))
                : new GenericDatumWriter<>(s));
    }
}
