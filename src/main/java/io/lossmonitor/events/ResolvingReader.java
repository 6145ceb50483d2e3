package io.lossmonitor.events;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.ResolvingDecoder;

/**
 * Base of the hand-written readers: decodes any writer schema compatible with one of our reader schemas, with
 * arrays of numbers landing in {@code double[]} without boxing (Avro's generated classes hold {@code List<Double>}).
 *
 * <p>Two paths. When the writer has our fields, in our order, with our types, except that number arrays may hold
 * float, int or long (what a NumPy producer declares), records are read straight from the binary decoder: this is
 * the steady state and costs about as much as the bytes. Any other compatible writer (added, removed or reordered
 * fields) goes through Avro's {@link ResolvingDecoder}, which is exact but interprets its grammar per element.
 */
abstract class ResolvingReader<T> implements DatumReader<T> {

    private final Schema reader;
    private Schema writer;
    private boolean direct;
    /** Per reader field position: the writer's item type for array fields, read on the direct path. */
    private Schema.Type[] itemTypes;
    // Building the resolver grammar is the expensive part; it is built once per thread and writer schema.
    private ThreadLocal<ResolvingDecoder> decoders;

    ResolvingReader(Schema writer, Schema reader) {
        this.reader = reader;
        setSchema(writer);
    }

    @Override
    public final void setSchema(Schema writerSchema) {
        this.writer = writerSchema;
        this.itemTypes = new Schema.Type[reader.getFields().size()];
        this.direct = matchesDirectly(writerSchema);
        Schema w = writerSchema;
        this.decoders = ThreadLocal.withInitial(() -> {
            try {
                return DecoderFactory.get().resolvingDecoder(w, reader, null);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private boolean matchesDirectly(Schema writerSchema) {
        if (writerSchema.getType() != Schema.Type.RECORD) {
            return false;
        }
        List<Schema.Field> ours = reader.getFields();
        List<Schema.Field> theirs = writerSchema.getFields();
        if (ours.size() != theirs.size()) {
            return false;
        }
        for (int i = 0; i < ours.size(); i++) {
            Schema.Field a = ours.get(i);
            Schema.Field b = theirs.get(i);
            if (!a.name().equals(b.name())) {
                return false;
            }
            if (a.schema().getType() == Schema.Type.ARRAY && b.schema().getType() == Schema.Type.ARRAY
                    && a.schema().getElementType().getType() == Schema.Type.DOUBLE) {
                Schema.Type item = b.schema().getElementType().getType();
                if (item != Schema.Type.DOUBLE && item != Schema.Type.FLOAT && item != Schema.Type.INT
                        && item != Schema.Type.LONG) {
                    return false;
                }
                itemTypes[i] = item;
            } else if (!sameType(a.schema(), b.schema())) {
                return false;
            }
        }
        return true;
    }

    /** Equal as far as decoding goes: docs and defaults do not change the bytes. */
    private static boolean sameType(Schema a, Schema b) {
        if (a.getType() != b.getType()) {
            return false;
        }
        switch (a.getType()) {
            case ENUM:
                return a.getEnumSymbols().equals(b.getEnumSymbols());
            case ARRAY:
                return sameType(a.getElementType(), b.getElementType());
            case MAP:
                return sameType(a.getValueType(), b.getValueType());
            case UNION:
                if (a.getTypes().size() != b.getTypes().size()) {
                    return false;
                }
                for (int i = 0; i < a.getTypes().size(); i++) {
                    if (!sameType(a.getTypes().get(i), b.getTypes().get(i))) {
                        return false;
                    }
                }
                return true;
            case RECORD:
            case FIXED:
                return a.equals(b);
            default:
                return true;
        }
    }

    public Schema writerSchema() {
        return writer;
    }

    /** Whether records of this writer schema take the direct path (for tests and benchmarks). */
    public boolean isDirect() {
        return direct;
    }

    @Override
    public final T read(T reuse, Decoder in) throws IOException {
        if (direct) {
            return read(in, reader.getFields(), true);
        }
        ResolvingDecoder decoder = decoders.get();
        decoder.configure(in);
        T value = read(decoder, List.of(decoder.readFieldOrder()), false);
        decoder.drain();
        return value;
    }

    /**
     * Reads one record: the fields in {@code order}, identified by name. On the direct path {@code in} is the raw
     * decoder; otherwise it resolves each value to the reader's type.
     */
    abstract T read(Decoder in, List<Schema.Field> order, boolean direct) throws IOException;

    final double[] readDoubles(Decoder in, Schema.Field field, boolean direct) throws IOException {
        // Arrays inside unions (a label's target) match ours exactly on the direct path: double items.
        Schema.Type item = direct && itemTypes[field.pos()] != null ? itemTypes[field.pos()] : Schema.Type.DOUBLE;
        long block = in.readArrayStart();
        double[] values = new double[(int) Math.min(block, 1 << 16)];
        int size = 0;
        while (block > 0) {
            if (size + block > values.length) {
                values = Arrays.copyOf(values, (int) Math.max(size + block, 2L * values.length));
            }
            int end = size + (int) block;
            switch (item) {
                case DOUBLE -> {
                    for (int i = size; i < end; i++) {
                        values[i] = in.readDouble();
                    }
                }
                case FLOAT -> {
                    for (int i = size; i < end; i++) {
                        values[i] = in.readFloat();
                    }
                }
                case INT -> {
                    for (int i = size; i < end; i++) {
                        values[i] = in.readInt();
                    }
                }
                case LONG -> {
                    for (int i = size; i < end; i++) {
                        values[i] = in.readLong();
                    }
                }
                default -> throw new IllegalStateException("unexpected array item type " + item);
            }
            size = end;
            block = in.arrayNext();
        }
        return size == values.length ? values : Arrays.copyOf(values, size);
    }

    static Map<String, String> readStringMap(Decoder in) throws IOException {
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
