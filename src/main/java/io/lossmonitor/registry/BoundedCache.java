package io.lossmonitor.registry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** A thread-safe least-recently-used map with a fixed capacity. Lookups are short; one lock is enough. */
final class BoundedCache<K, V> {

    private final Map<K, V> entries;

    BoundedCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        };
    }

    V get(K key) {
        synchronized (entries) {
            return entries.get(key);
        }
    }

    void put(K key, V value) {
        synchronized (entries) {
            entries.put(key, value);
        }
    }

    /** The cached value, or one loaded outside the lock (so a slow registry call blocks no other key). */
    V computeIfAbsent(K key, Function<K, V> loader) {
        V value = get(key);
        if (value == null) {
            value = loader.apply(key);
            put(key, value);
        }
        return value;
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
