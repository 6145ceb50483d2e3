package io.lossmonitor.topology.join;

import io.lossmonitor.events.PredictionEvent;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pending predictions a join task stored most recently, as the objects it stored, up to a byte budget: a label
 * that follows its prediction within the budget is joined without reading and decoding the prediction from
 * RocksDB (the read was the largest single cost of a label in the end-to-end profile). Labels that come later read
 * the store as before.
 *
 * <p>Why it never disagrees with the stores: it holds only pending predictions the processor wrote whose state has not
 * changed since (the processor removes a key here before it changes that key's state, deleting the prediction or
 * writing the label applied to it, and adds a key only after the prediction's write succeeded, so a write that fails
 * half-way leaves no entry); the processor is the stores' only writer; and it is created empty in the processor's
 * {@code init}, which Kafka Streams calls again whenever the task's state may have changed beneath it (a restoration,
 * a dirty close and revival under exactly-once).
 *
 * <p>Oldest out first: a prediction waits for one label, so the order it was stored in is the order its label is
 * likeliest to have come by.
 */
final class RecentPredictions {

    private final long maxBytes;
    private final LinkedHashMap<String, Held> entries = new LinkedHashMap<>();
    private long bytes;

    /** @param maxBytes the budget (0: keep nothing) */
    RecentPredictions(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the budget must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The prediction stored under {@code key}, with its ids, or null if it is not held here. */
    StoredPrediction get(String key) {
        Held held = entries.get(key);
        return held == null ? null : held.stored;
    }

    /** Holds {@code stored}, the value just written under {@code key}, evicting the oldest beyond the budget. */
    void put(String key, StoredPrediction stored) {
        long size = sizeOf(key, stored);
        if (size > maxBytes) {
            remove(key);
            return;
        }
        Held previous = entries.put(key, new Held(stored, size));
        bytes += size - (previous == null ? 0 : previous.size);
        Iterator<Held> oldest = entries.values().iterator();
        while (bytes > maxBytes) {
            bytes -= oldest.next().size;
            oldest.remove();
        }
    }

    void remove(String key) {
        Held removed = entries.remove(key);
        if (removed != null) {
            bytes -= removed.size;
        }
    }

    int size() {
        return entries.size();
    }

    long bytes() {
        return bytes;
    }

    /**
     * The heap an entry holds, estimated from its parts on a 64-bit JVM with compressed references: the scores, the
     * strings and the segments, and a fixed allowance for the records, the arrays' and strings' headers and the map
     * entry. An estimate on the high side: the budget bounds the heap, it need not fill it exactly.
     */
    static long sizeOf(String key, StoredPrediction stored) {
        PredictionEvent p = stored.prediction();
        long size = 300 + 2L * key.length() + 8L * p.scores().length + stringBytes(p.modelVersion());
        for (Map.Entry<String, String> segment : p.segments().entrySet()) {
            size += 64 + stringBytes(segment.getKey()) + stringBytes(segment.getValue());
        }
        return size;
    }

    /** An entry with its size, estimated once. */
    private record Held(StoredPrediction stored, long size) {
    }

    private static long stringBytes(String s) {
        return s == null ? 0 : 48 + s.length();
    }
}
