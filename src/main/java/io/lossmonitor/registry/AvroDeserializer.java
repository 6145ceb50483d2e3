package io.lossmonitor.registry;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro: the writer schema is fetched by the id in the header (once, then cached) and
 * resolved to the reader's schema, so records written with older or newer compatible schemas decode.
 *
 * <p>How a record is materialised is the {@link ReaderFactory}'s choice: generated classes
 * ({@link #specific(Class)}), generic records ({@link #generic()}), or a hand-written reader that decodes straight
 * into primitive arrays. Errors are precise: {@link WireFormatException} for a wrong magic byte, a short or
 * truncated payload, or trailing bytes; {@link RegistryException} 40403 for an unknown schema id.
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    /** Builds the reader for one writer schema; called once per schema id. */
    @FunctionalInterface
    public interface ReaderFactory<T> {
        DatumReader<T> create(Schema writerSchema);
    }

    private final ReaderFactory<T> readers;
    private final Map<Integer, DatumReader<T>> readersById = new ConcurrentHashMap<>();
    private RegistryClient client;

    public AvroDeserializer(ReaderFactory<T> readers) {
        this.readers = readers;
    }

    public AvroDeserializer(RegistryClient client, ReaderFactory<T> readers) {
        this.client = client;
        this.readers = readers;
    }

    /** Generated classes, resolved to the class's own schema. */
    public static <T extends SpecificRecord> ReaderFactory<T> specificReader(Class<T> type) {
        SpecificData model = SpecificData.getForClass(type);
        Schema readerSchema = model.getSchema(type);
        return writer -> new SpecificDatumReader<>(writer, readerSchema, model);
    }

    public static <T extends SpecificRecord> AvroDeserializer<T> specific(Class<T> type) {
        return new AvroDeserializer<>(specificReader(type));
    }

    /** Generic records in the writer's own schema. */
    public static AvroDeserializer<GenericRecord> generic() {
        return new AvroDeserializer<>(writer -> new GenericDatumReader<>(writer));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            client = new RegistryClient(RegistryConfig.from(configs));
        }
    }

    /**
     * Whether {@code data}'s writer schema is already known, so that decoding it cannot need the registry. A payload
     * too short to carry a schema id counts as known: decoding it fails on its own, without a registry call; so does
     * one whose schema the registry already answered is not usable Avro.
     */
    public boolean knowsSchemaOf(byte[] data) {
        if (data == null) {
            return true;
        }
        int id;
        try {
            id = WireFormat.schemaId(data);
        } catch (RuntimeException e) {
            return true;
        }
        return readersById.containsKey(id) || client != null && client.answersFromCache(id);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("AvroDeserializer is not configured: call configure() or pass a RegistryClient");
        }
        int id = WireFormat.schemaId(data);
        DatumReader<T> reader = readersById.get(id);
        if (reader == null) {
            // The registry call happens here, outside any lock; a concurrent first use may fetch twice.
            reader = readers.create(client.schemaById(id));
            readersById.put(id, reader);
        }
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                data.length - WireFormat.HEADER_SIZE, null);
        T value;
        try {
            value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new WireFormatException("record on topic " + topic + " with schema id " + id + " has "
                        + "trailing bytes after the Avro body: not written with that schema");
            }
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new WireFormatException("cannot decode the record on topic " + topic + " with writer schema id " + id
                    + " (" + data.length + " bytes): " + describe(e), e);
        }
        return value;
    }

    private static String describe(Exception e) {
        return e instanceof java.io.EOFException ? "truncated Avro body" : e.toString();
    }
}
