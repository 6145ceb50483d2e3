package io.lossmonitor.topology.window;

import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedBytesStore;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.apache.kafka.streams.state.internals.WrappedStateStore;

/**
 * Persistent window stores that, while they hold no record, report their committed changelog offset as unknown
 * instead of missing, so that an exactly-once task with an empty window store keeps its state across a clean restart.
 *
 * <p>Kafka Streams 4.3 keeps a store's committed changelog offset in the store itself (KIP-1035); a window store keeps
 * it in its segments. A window store without segments (every windows task whose partition no model version hashes
 * to) has nowhere to keep it and reports none when opened. Under exactly-once, a task with a store that reports no
 * offset while the task directory holds files (its key-value stores always leave some) is declared corrupted, wiped
 * and restored from the changelogs, with an error and a stack trace in the log, at every start. An empty key-value
 * store in the same place commits the "offset unknown" sentinel and opens cleanly. An empty window store now answers
 * the same: holding no record, it holds nothing that could be uncommitted, and restoring its changelog from the
 * beginning rebuilds exactly the committed state. A window store that holds records keeps Kafka Streams' own answer,
 * so a store left with uncommitted writes by a crash is still detected and restored.
 */
final class EmptyWindowStoreOffsets {

    private EmptyWindowStoreOffsets() {
    }

    /** {@link Stores#persistentTimestampedWindowStore} (no duplicates), with the offset rule above. */
    static WindowBytesStoreSupplier persistentTimestamped(String name, Duration retention, Duration size) {
        return new Supplier(Stores.persistentTimestampedWindowStore(name, retention, size, false));
    }

    private record Supplier(WindowBytesStoreSupplier inner) implements WindowBytesStoreSupplier {

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public WindowStore<Bytes, byte[]> get() {
            WindowStore<Bytes, byte[]> store = inner.get();
            if (!(store instanceof TimestampedBytesStore)) {
                // Wrapped, a plain store would hide from the builder that it needs the timestamped adapter.
                throw new IllegalStateException("expected a timestamped window store, got " + store.getClass().getName());
            }
            return new Store(store);
        }

        @Override
        public String metricsScope() {
            return inner.metricsScope();
        }

        @Override
        public long segmentIntervalMs() {
            return inner.segmentIntervalMs();
        }

        @Override
        public long windowSize() {
            return inner.windowSize();
        }

        @Override
        public boolean retainDuplicates() {
            return inner.retainDuplicates();
        }

        @Override
        public long retentionPeriod() {
            return inner.retentionPeriod();
        }
    }

    /** Everything delegated but {@link #committedOffset}. */
    static final class Store extends WrappedStateStore<WindowStore<Bytes, byte[]>, Bytes, byte[]>
            implements WindowStore<Bytes, byte[]>, TimestampedBytesStore {

        Store(WindowStore<Bytes, byte[]> inner) {
            super(inner);
        }

        @Override
        public Long committedOffset(TopicPartition partition) {
            Long offset = super.committedOffset(partition);
            if (offset != null) {
                return offset;
            }
            try (KeyValueIterator<Windowed<Bytes>, byte[]> records = wrapped().all()) {
                return records.hasNext() ? null : OffsetCheckpoint.OFFSET_UNKNOWN;
            }
        }

        @Override
        public void put(Bytes key, byte[] value, long windowStartTimestamp) {
            wrapped().put(key, value, windowStartTimestamp);
        }

        @Override
        public byte[] fetch(Bytes key, long time) {
            return wrapped().fetch(key, time);
        }

        @Override
        public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
            return wrapped().fetch(key, timeFrom, timeTo);
        }

        @Override
        public WindowStoreIterator<byte[]> fetch(Bytes key, Instant timeFrom, Instant timeTo) {
            return wrapped().fetch(key, timeFrom, timeTo);
        }

        @Override
        public WindowStoreIterator<byte[]> backwardFetch(Bytes key, long timeFrom, long timeTo) {
            return wrapped().backwardFetch(key, timeFrom, timeTo);
        }

        @Override
        public WindowStoreIterator<byte[]> backwardFetch(Bytes key, Instant timeFrom, Instant timeTo) {
            return wrapped().backwardFetch(key, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
            return wrapped().fetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom, Instant timeTo) {
            return wrapped().fetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, long timeFrom,
                                                                        long timeTo) {
            return wrapped().backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom,
                                                                        Instant timeTo) {
            return wrapped().backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
            return wrapped().fetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(Instant timeFrom, Instant timeTo) {
            return wrapped().fetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(long timeFrom, long timeTo) {
            return wrapped().backwardFetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(Instant timeFrom, Instant timeTo) {
            return wrapped().backwardFetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
            return wrapped().all();
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardAll() {
            return wrapped().backwardAll();
        }
    }
}
