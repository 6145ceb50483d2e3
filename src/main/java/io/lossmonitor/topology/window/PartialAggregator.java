package io.lossmonitor.topology.window;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Pre-aggregation in the join's task, before the repartition to the window keys' tasks. Each record is folded into
 * a partial per (window key, granule of its timestamp) in a changelogged store; every flush interval (wall clock)
 * the partials are forwarded, keyed by window key and stamped with their granule's start, and deleted. Downstream,
 * the windows merge partials instead of applying single events: one record per key and granule per flush crosses
 * the repartition topic instead of one per event and key.
 *
 * <p>Why results are unchanged: the granule is the greatest common divisor of the window sizes, and windows are
 * aligned to the epoch, so a granule lies inside exactly one window of every size, the window of every event in
 * it; and the aggregates are sums that merge exactly. Why nothing is lost or counted twice: the partials live in a
 * store whose changelog is written in the same transaction as the input offsets and the forwarded partials, so a
 * crash rewinds the three together.
 *
 * @param <V> the input value
 * @param <P> the partial (mutable, updated in place)
 */
public final class PartialAggregator<V, P> implements Processor<String, V, String, P> {

    /** Folds one input value into the partials of the window keys it belongs to. */
    @FunctionalInterface
    public interface Folder<V, P> {
        void fold(V value, BiConsumer<String, UnaryOperator<P>> update);
    }

    private final String storeName;
    private final long granuleMs;
    private final Duration flushInterval;
    private final Supplier<P> empty;
    private final Folder<V, P> folder;
    private ProcessorContext<String, P> context;
    private KeyValueStore<String, P> partials;
    /**
     * Store keys by granule and window key, each built once per flush interval: the same key instance for every
     * event of a key keeps its hash for the write-back buffer's map and dirty set (a new string per event and key
     * was hashed three times). Cleared at every flush, so it holds at most what one interval touched.
     */
    private final Map<Long, Map<String, String>> storeKeys = new HashMap<>();

    public PartialAggregator(String storeName, long granuleMs, Duration flushInterval, Supplier<P> empty, Folder<V, P> folder) {
        if (granuleMs <= 0) {
            throw new IllegalArgumentException("the granule must be positive, got " + granuleMs + " ms");
        }
        this.storeName = storeName;
        this.granuleMs = granuleMs;
        this.flushInterval = flushInterval;
        this.empty = empty;
        this.folder = folder;
    }

    @Override
    public void init(ProcessorContext<String, P> context) {
        this.context = context;
        this.partials = context.getStateStore(storeName);
        context.schedule(flushInterval, PunctuationType.WALL_CLOCK_TIME, now -> flush());
    }

    @Override
    public void process(Record<String, V> record) {
        if (record.value() == null) {
            return;
        }
        long granule = Math.floorDiv(record.timestamp(), granuleMs) * granuleMs;
        Map<String, String> keys = storeKeys.computeIfAbsent(granule, g -> new HashMap<>());
        folder.fold(record.value(), (windowKey, change) -> {
            String key = keys.computeIfAbsent(windowKey, k -> storeKey(granule, k));
            P current = partials.get(key);
            partials.put(key, change.apply(current == null ? empty.get() : current));
        });
    }

    /** Forwards every partial and deletes it. */
    void flush() {
        storeKeys.clear();
        List<KeyValue<String, P>> all = new ArrayList<>();
        try (KeyValueIterator<String, P> it = partials.all()) {
            it.forEachRemaining(all::add);
        }
        for (KeyValue<String, P> e : all) {
            int bar = e.key.indexOf('|');
            long granule = Long.parseLong(e.key, 0, bar, 10);
            context.forward(new Record<>(e.key.substring(bar + 1), e.value, granule));
            partials.delete(e.key);
        }
    }

    /** Granule start, then the window key: the start never contains the separator, a window key may. */
    static String storeKey(long granule, String windowKey) {
        return granule + "|" + windowKey;
    }
}
