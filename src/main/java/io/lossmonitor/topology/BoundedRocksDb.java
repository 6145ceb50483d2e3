package io.lossmonitor.topology;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of every RocksDB store of the process (the join's predictions, early labels, expiry index and
 * accounting, the window stores, the totals) by one shared block cache, with memtables counted against it by a
 * write-buffer manager, instead of per-store caches and memtables whose sum grows with the number of stores and
 * partitions. The budget is {@value #MEMORY_MB} (megabytes, default 256); a quarter of it may hold memtables.
 * Index and filter blocks live in the cache too, so they are bounded as well.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {

    /** The RocksDB memory budget of the process, in megabytes. */
    public static final String MEMORY_MB = "lossmonitor.rocksdb.memory-mb";
    public static final long DEFAULT_MEMORY_MB = 256;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;
    private static long budgetBytes;

    /** The shared cache and write-buffer manager, made once per process with the first store's settings. */
    private static synchronized void init(Map<String, Object> configs) {
        if (cache != null) {
            return;
        }
        budgetBytes = budget(configs);
        cache = new LRUCache(budgetBytes, -1, false);
        writeBuffers = new WriteBufferManager(budgetBytes / 4, cache);
    }

    /** The budget in bytes the settings ask for. */
    static long budget(Map<String, Object> configs) {
        Object configured = configs.get(MEMORY_MB);
        long mb = configured == null ? DEFAULT_MEMORY_MB : Long.parseLong(configured.toString().trim());
        return mb * 1024 * 1024;
    }

    static synchronized long budgetBytes() {
        return budgetBytes;
    }

    static synchronized Cache sharedCache() {
        return cache;
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        init(configs);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBuffers);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write-buffer manager are shared by every store: they live as long as the process.
    }
}
