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
 * partitions. The budget is {@value #MEMORY_MB} (megabytes, default 256); half of it may hold memtables.
 * Index and filter blocks live in the cache too, so they are bounded as well.
 *
 * <p>The predictions store takes nearly all the bytes written (every prediction, about a kilobyte at 100 classes; a
 * label's part goes to the applied-labels store, a tenth of that). Kafka Streams gives every store 16 MB memtables; this one gets RocksDB's own default of 64 MB,
 * and memtables half the budget instead of a quarter, so that it is flushed to level 0 a quarter as often: fewer,
 * larger files to compact.
 * Measured with the end-to-end benchmark's paired variant (C = 100, keyed inputs, five rounds, each against the
 * old setting in the same round): every round faster, median 0.94 of the time and 0.95 of the CPU (0.82-0.97).
 * Nothing else grows: the budget bounds memtables and cached blocks together, so memtables only take room from
 * cached blocks while they are full.
 *
 * <p>The join's predictions store is looked up for every new prediction (its duplicate check), and almost all of those
 * keys are not there. Kafka Streams builds its stores with {@code optimize_filters_for_hits}, which leaves the last
 * level without Bloom filters, so each such miss read an index and a data block of that level; and it searched the
 * memtables' skip lists to their end. This store gets filters on every level and a whole-key filter on its
 * memtables ({@value #MEMTABLE_FILTER_RATIO} of the write buffer, a few hundred kilobytes): in the CPU profile of the
 * end-to-end benchmark (C = 100, keyed inputs) the duplicate checks took 40% fewer samples (8.8% of the stream
 * thread before, 5.8% after), the label lookups (hits) the same. The last level's filters cost about 1.25 bytes per
 * stored prediction, in the shared cache. So does the applied-labels store, whose lookups (for a label whose prediction
 * is no longer among the join's recent ones) are mostly misses too. Not for the other stores: the window stores are segmented, and every
 * memtable of every segment would carry a filter (measured worse when all stores had them).
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {

    /** The RocksDB memory budget of the process, in megabytes. */
    public static final String MEMORY_MB = "lossmonitor.rocksdb.memory-mb";
    public static final long DEFAULT_MEMORY_MB = 256;

    /** The predictions store's memtable size (RocksDB's default; Kafka Streams sets 16 MB for every store). */
    static final long PREDICTIONS_WRITE_BUFFER_BYTES = 64L * 1024 * 1024;

    /** The memtable whole-key filter of the predictions store, as a fraction of its write buffer. */
    static final double MEMTABLE_FILTER_RATIO = 0.02;

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
        writeBuffers = new WriteBufferManager(memtableBytes(budgetBytes), cache);
    }

    /** The budget in bytes the settings ask for. */
    static long budget(Map<String, Object> configs) {
        Object configured = configs.get(MEMORY_MB);
        long mb = configured == null ? DEFAULT_MEMORY_MB : Long.parseLong(configured.toString().trim());
        return mb * 1024 * 1024;
    }

    /** How much of the budget all memtables together may take before the largest is flushed. */
    static long memtableBytes(long budgetBytes) {
        return budgetBytes / 2;
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
        if (storeName.equals(Names.PREDICTIONS_STORE) || storeName.equals(Names.APPLIED_LABELS_STORE)) {
            options.setOptimizeFiltersForHits(false);
            options.setMemtablePrefixBloomSizeRatio(MEMTABLE_FILTER_RATIO);
            options.setMemtableWholeKeyFiltering(true);
        }
        if (storeName.equals(Names.PREDICTIONS_STORE)) {
            options.setWriteBufferSize(PREDICTIONS_WRITE_BUFFER_BYTES);
        }
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write-buffer manager are shared by every store: they live as long as the process.
    }
}
