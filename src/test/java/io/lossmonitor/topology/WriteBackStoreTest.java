package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.CachedStateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write-back buffer's contract: the processing thread sees its own updates at once, the store below sees the
 * first change after each commit at once and the others only at the commit's {@code flushCache} (once per key), a
 * dirty close's {@code clearCache} drops what is buffered, and other threads read the store below.
 */
class WriteBackStoreTest {

    private KeyValueStore<String, Long> below;
    private KeyValueStore<String, Long> store;
    private final List<String> writesBelow = new ArrayList<>();
    private long now = 1_000_000;

    @BeforeEach
    void init() {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        // The store below records each write it receives: the buffer's promise is one write per key and commit.
        KeyValueStore<String, Long> recording = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("counts"),
                Serdes.String(), Serdes.Long()).withLoggingDisabled().build();
        below = new Recording(recording, writesBelow);
        store = new WriteBackStore<>(below, () -> now);
        store.init(context.getStateStoreContext(), store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static long add(KeyValueStore<String, Long> s, String key, long delta) {
        Long current = s.get(key);
        long next = (current == null ? 0 : current) + delta;
        s.put(key, next);
        return next;
    }

    @Test
    void theFirstChangeAfterACommitGoesThroughAndTheOthersOncePerKeyAtTheCommit() {
        for (int i = 0; i < 1000; i++) {
            add(store, "scored", 1);
        }
        add(store, "expired", 2);
        assertThat(store.get("scored")).isEqualTo(1000L);
        // The first change went through at once (so its changelog partition joins the transaction then).
        assertThat(writesBelow).containsExactly("scored=1");
        assertThat(below.get("scored")).isEqualTo(1L);

        ((CachedStateStore<?, ?>) store).flushCache();
        assertThat(writesBelow.subList(1, writesBelow.size())).containsExactlyInAnyOrder("scored=1000", "expired=2");
        assertThat(below.get("scored")).isEqualTo(1000L);

        // After the commit: again the first change at once; a key not touched since is not written again.
        writesBelow.clear();
        add(store, "scored", 1);
        assertThat(writesBelow).containsExactly("scored=1001");
        add(store, "scored", 1);
        add(store, "scored", 1);
        assertThat(writesBelow).containsExactly("scored=1001");
        ((CachedStateStore<?, ?>) store).flushCache();
        assertThat(writesBelow).containsExactly("scored=1001", "scored=1003");
    }

    /** Makes the first change after the last commit (which goes through), so that the next ones are buffered. */
    private void passFirstChange() {
        add(store, "first-after-commit", 1);
    }

    @Test
    void aDeleteReachesTheStoreBelowAndAnIteratorSeesTheBuffer() {
        add(store, "a", 1);
        ((CachedStateStore<?, ?>) store).flushCache();
        passFirstChange();
        store.delete("a");
        add(store, "b", 5);
        assertThat(store.get("a")).isNull();
        assertThat(below.get("a")).isEqualTo(1L);
        // An iterator of the processing thread writes back first, so it sees the thread's own updates.
        List<KeyValue<String, Long>> all = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = store.all()) {
            it.forEachRemaining(all::add);
        }
        assertThat(all).containsExactly(KeyValue.pair("b", 5L), KeyValue.pair("first-after-commit", 1L));
        assertThat(below.get("a")).isNull();
    }

    @Test
    void aDirtyCloseDropsWhatTheAbortedTransactionWouldHaveCommitted() {
        add(store, "scored", 3);
        ((CachedStateStore<?, ?>) store).flushCache();
        // The first change after the commit reached the store below, as every write to a store without a buffer
        // does; under exactly-once Kafka Streams wipes a dirty-closed task's stores and restores the changelog.
        passFirstChange();
        add(store, "scored", 4);
        ((CachedStateStore<?, ?>) store).clearCache();
        assertThat(store.get("scored")).isEqualTo(3L);
        ((CachedStateStore<?, ?>) store).flushCache();
        assertThat(below.get("scored")).isEqualTo(3L);
    }

    @Test
    void otherThreadsReadTheStoreBelow() throws Exception {
        add(store, "scored", 1);
        ((CachedStateStore<?, ?>) store).flushCache();
        passFirstChange();
        add(store, "scored", 1);
        AtomicReference<Long> seen = new AtomicReference<>();
        Thread reader = new Thread(() -> seen.set(store.get("scored")));
        reader.start();
        reader.join();
        assertThat(seen.get()).as("a query thread sees the last commit").isEqualTo(1L);
        assertThat(store.get("scored")).isEqualTo(2L);
    }

    @Test
    void writesOlderThanTheMaximumAgeAreWrittenBackWithoutACommit() {
        passFirstChange();
        writesBelow.clear();
        add(store, "scored", 1);
        now += WriteBackStore.MAX_DIRTY_AGE_MS;
        add(store, "expired", 1);
        assertThat(writesBelow).isEmpty();
        now += 1;
        add(store, "expired", 1);
        assertThat(writesBelow).containsExactlyInAnyOrder("scored=1", "expired=2");
    }

    /** The store below, recording each put and delete it receives. */
    private static final class Recording implements KeyValueStore<String, Long> {
        private final KeyValueStore<String, Long> inner;
        private final List<String> writes;

        Recording(KeyValueStore<String, Long> inner, List<String> writes) {
            this.inner = inner;
            this.writes = writes;
        }

        @Override
        public void put(String key, Long value) {
            writes.add(key + "=" + value);
            inner.put(key, value);
        }

        @Override
        public Long putIfAbsent(String key, Long value) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void putAll(List<KeyValue<String, Long>> entries) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Long delete(String key) {
            writes.add(key + " deleted");
            return inner.delete(key);
        }

        @Override
        public Long get(String key) {
            return inner.get(key);
        }

        @Override
        public KeyValueIterator<String, Long> range(String from, String to) {
            return inner.range(from, to);
        }

        @Override
        public KeyValueIterator<String, Long> all() {
            return inner.all();
        }

        @Override
        public long approximateNumEntries() {
            return inner.approximateNumEntries();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            inner.init(context, root);
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public boolean persistent() {
            return false;
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }
    }
}
