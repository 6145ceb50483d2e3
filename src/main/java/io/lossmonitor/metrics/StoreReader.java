package io.lossmonitor.metrics;

import java.util.function.BiConsumer;

/** Read-only access to the local instance's key-value stores, by name. */
@FunctionalInterface
public interface StoreReader {

    /**
     * Visits every entry of the store's local partitions; does nothing when the store is not queryable now
     * (rebalancing, restoring).
     */
    <K, V> void forEach(String store, BiConsumer<K, V> visitor);
}
