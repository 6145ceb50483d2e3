package io.lossmonitor.topology;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A write-back buffer of live value objects in front of a key-value store, for stores whose few keys are updated
 * by nearly every record (the accounting counters, the window pre-aggregation): an update changes the object in
 * the buffer, and only at the task's commit, or when {@link #MAX_DIRTY_AGE_MS} has passed, is each changed key
 * serialized once and written to the store below (and so to its changelog). Kafka Streams' own record cache does
 * the same for bytes, but serializes and deserializes the value on every update, which for these stores cost more
 * than the update itself. The one exception is the first change after each commit, which goes through at once: its
 * changelog partition then joins the commit's transaction while the task processes, instead of in the commit's
 * producer flush, which would wait for the broker to add the partition to the transaction before appending to it
 * (the end-to-end benchmark measured about a third less time in the flush per commit).
 *
 * <p>Why nothing is lost or counted twice: Kafka Streams calls {@link #flushCache()} on every {@link CachedStateStore}
 * of a task before it flushes the task's producer and commits its offsets (in one transaction under exactly-once),
 * so what the buffer held goes to the changelog in the transaction of the records that produced it; when a task is
 * closed dirty its stores are closed (or get {@link #clearCache()}), and the buffer is dropped with the aborted
 * transaction (what reached the store below before the commit, like every write to a store without a buffer, is
 * wiped with the task's state under exactly-once and restored from the changelog); a task recycled between active
 * and standby also gets {@code clearCache()}, so no value read before a standby's restoration is served after it.
 * ({@code CachedStateStore} is a Kafka Streams internal interface; {@code WriteBackStoreTest} pins this contract for
 * the version in use, and the crash tests check the books stay exact.)
 *
 * <p>Only the thread that processes the task writes; it reads through the buffer. Any other thread (interactive
 * queries: the metrics scrape, the HTTP API) reads the store below, as of the last write-back: at most a commit
 * interval or {@link #MAX_DIRTY_AGE_MS} behind.
 */
public final class WriteBackStore<K, V> implements KeyValueStore<K, V>, CachedStateStore<K, V> {

    /** Written back at the latest this long after the first update since the last write-back (for readers). */
    static final long MAX_DIRTY_AGE_MS = 1_000;
    /** Clean values kept for reading after a write-back; beyond this many, they are dropped at the write-back. */
    static final int MAX_CLEAN = 10_000;

    private static final Object DELETED = new Object();

    private final KeyValueStore<K, V> inner;
    /** Values (or {@link #DELETED}) by key; {@code dirty} holds the keys changed since the last write-back. */
    private final Map<K, Object> values = new HashMap<>();
    private final Set<K> dirty = new HashSet<>();
    private volatile Thread owner;
    private long firstDirtyAtMs = -1;
    /** Whether a change has gone to the store below since the last commit ({@link #flushCache()}). */
    private boolean writtenSinceCommit;

    private final LongSupplier clock;

    public WriteBackStore(KeyValueStore<K, V> inner) {
        this(inner, System::currentTimeMillis);
    }

    WriteBackStore(KeyValueStore<K, V> inner, LongSupplier clock) {
        this.inner = inner;
        this.clock = clock;
    }

    /** {@code inner} (caching disabled: this is the cache) behind a write-back buffer. */
    public static <K, V> StoreBuilder<KeyValueStore<K, V>> builder(StoreBuilder<KeyValueStore<K, V>> inner) {
        StoreBuilder<KeyValueStore<K, V>> uncached = inner.withCachingDisabled();
        return new StoreBuilder<>() {
            @Override
            public StoreBuilder<KeyValueStore<K, V>> withCachingEnabled() {
                throw new UnsupportedOperationException("a write-back store is its own cache");
            }

            @Override
            public StoreBuilder<KeyValueStore<K, V>> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<KeyValueStore<K, V>> withLoggingEnabled(Map<String, String> config) {
                uncached.withLoggingEnabled(config);
                return this;
            }

            @Override
            public StoreBuilder<KeyValueStore<K, V>> withLoggingDisabled() {
                uncached.withLoggingDisabled();
                return this;
            }

            @Override
            public KeyValueStore<K, V> build() {
                return new WriteBackStore<>(uncached.build());
            }

            @Override
            public Map<String, String> logConfig() {
                return uncached.logConfig();
            }

            @Override
            public boolean loggingEnabled() {
                return uncached.loggingEnabled();
            }

            @Override
            public String name() {
                return uncached.name();
            }
        };
    }

    private boolean isOwner() {
        return Thread.currentThread() == owner;
    }

    // Writes: only from the task's processing thread.

    @Override
    public void put(K key, V value) {
        owner = Thread.currentThread();
        values.put(key, value == null ? DELETED : value);
        markDirty(key);
    }

    @Override
    public V putIfAbsent(K key, V value) {
        V current = get(key);
        if (current == null) {
            put(key, value);
        }
        return current;
    }

    @Override
    public void putAll(List<KeyValue<K, V>> entries) {
        for (KeyValue<K, V> e : entries) {
            put(e.key, e.value);
        }
    }

    @Override
    public V delete(K key) {
        V current = get(key);
        put(key, null);
        return current;
    }

    private void markDirty(K key) {
        if (!writtenSinceCommit) {
            // Through at once, so that the changelog partition joins the transaction now (class comment).
            writtenSinceCommit = true;
            dirty.add(key);
            writeBack();
            return;
        }
        if (dirty.isEmpty()) {
            firstDirtyAtMs = clock.getAsLong();
        } else if (clock.getAsLong() - firstDirtyAtMs > MAX_DIRTY_AGE_MS) {
            dirty.add(key);
            writeBack();
            return;
        }
        dirty.add(key);
    }

    /** Writes every changed key to the store below, once. */
    private void writeBack() {
        for (K key : dirty) {
            Object v = values.get(key);
            if (v == DELETED) {
                inner.delete(key);
                values.remove(key);
            } else {
                @SuppressWarnings("unchecked")
                V value = (V) v;
                inner.put(key, value);
            }
        }
        dirty.clear();
        if (values.size() > MAX_CLEAN) {
            values.clear();
        }
    }

    // Reads.

    @Override
    @SuppressWarnings("unchecked")
    public V get(K key) {
        if (!isOwner()) {
            return inner.get(key);
        }
        Object v = values.get(key);
        if (v != null) {
            return v == DELETED ? null : (V) v;
        }
        V stored = inner.get(key);
        if (stored != null) {
            values.put(key, stored);
        }
        return stored;
    }

    @Override
    public KeyValueIterator<K, V> range(K from, K to) {
        writeBackIfOwner();
        return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<K, V> reverseRange(K from, K to) {
        writeBackIfOwner();
        return inner.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<K, V> all() {
        writeBackIfOwner();
        return inner.all();
    }

    @Override
    public KeyValueIterator<K, V> reverseAll() {
        writeBackIfOwner();
        return inner.reverseAll();
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<K, V> prefixScan(P prefix, PS prefixKeySerializer) {
        writeBackIfOwner();
        return inner.prefixScan(prefix, prefixKeySerializer);
    }

    @Override
    public long approximateNumEntries() {
        writeBackIfOwner();
        return inner.approximateNumEntries();
    }

    /** Iterators come from the store below: the owner first writes back, so they see its own updates. */
    private void writeBackIfOwner() {
        if (isOwner() && !dirty.isEmpty()) {
            writeBack();
        }
    }

    // Life cycle.

    @Override
    public void flushCache() {
        if (!dirty.isEmpty()) {
            writeBack();
        }
        writtenSinceCommit = false;
        if (inner instanceof CachedStateStore<?, ?> cached) {
            cached.flushCache();
        }
    }

    @Override
    public void clearCache() {
        values.clear();
        dirty.clear();
        writtenSinceCommit = false;
        if (inner instanceof CachedStateStore<?, ?> cached) {
            cached.clearCache();
        }
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<K, V> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        values.clear();
        dirty.clear();
        inner.init(context, root);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        if (!dirty.isEmpty()) {
            writeBack();
        }
        inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        if (!dirty.isEmpty()) {
            writeBack();
        }
        inner.commit(changelogOffsets);
    }

    @Override
    public void close() {
        values.clear();
        dirty.clear();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }
}
