package io.lossmonitor.events;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.ResolvingDecoder;

/**
 * Base of the hand-written readers: resolves a writer schema to one of our reader schemas (so every compatible
 * writer version decodes, with defaults filled and int/float promoted), and decodes arrays of numbers into
 * {@code double[]} without boxing, which Avro's generated {@code List<Double>} cannot do.
 */
abstract class ResolvingReader<T> implements DatumReader<T> {

    private final Schema reader;
    private Schema writer;
    // Building the resolver grammar is the expensive part; it is built once per thread and writer schema.
    private ThreadLocal<ResolvingDecoder> decoders;

    ResolvingReader(Schema writer, Schema reader) {
        this.reader = reader;
        setSchema(writer);
    }

    @Override
    public final void setSchema(Schema writerSchema) {
        this.writer = writerSchema;
        Schema w = writerSchema;
        this.decoders = ThreadLocal.withInitial(() -> {
            try {
                return DecoderFactory.get().resolvingDecoder(w, reader, null);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    public Schema writerSchema() {
        return writer;
    }

    @Override
    public final T read(T reuse, Decoder in) throws IOException {
        ResolvingDecoder decoder = decoders.get();
        decoder.configure(in);
        T value = read(decoder);
        decoder.drain();
        return value;
    }

    /** Reads one record: fields in {@code in.readFieldOrder()} order, identified by the reader schema's positions. */
    abstract T read(ResolvingDecoder in) throws IOException;

    static double[] readDoubles(ResolvingDecoder in) throws IOException {
        long block = in.readArrayStart();
        double[] values = new double[(int) Math.min(block, 1 << 16)];
        int size = 0;
        while (block > 0) {
            for (long i = 0; i < block; i++) {
                if (size == values.length) {
                    values = java.util.Arrays.copyOf(values, Math.max(8, size * 2));
                }
                values[size++] = in.readDouble();
            }
            block = in.arrayNext();
        }
        return size == values.length ? values : java.util.Arrays.copyOf(values, size);
    }

    static Map<String, String> readStringMap(ResolvingDecoder in) throws IOException {
        long block = in.readMapStart();
        if (block == 0) {
            return Map.of();
        }
        Map<String, String> map = new HashMap<>();
        while (block > 0) {
            for (long i = 0; i < block; i++) {
                map.put(in.readString(), in.readString());
            }
            block = in.mapNext();
        }
        return map;
    }
}
