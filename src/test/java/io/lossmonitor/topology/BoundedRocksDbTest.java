package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** Every store gets the one shared cache, with memtables counted against it. */
class BoundedRocksDbTest {

    @Test
    void theBudgetComesFromTheSettings() {
        assertThat(BoundedRocksDb.budget(Map.of(BoundedRocksDb.MEMORY_MB, "64"))).isEqualTo(64L * 1024 * 1024);
        assertThat(BoundedRocksDb.budget(Map.of())).isEqualTo(256L * 1024 * 1024);
        assertThat(BoundedRocksDb.memtableBytes(256L * 1024 * 1024)).isEqualTo(128L * 1024 * 1024);
    }

    @Test
    void everyStoreSharesOneBoundedCache() {
        RocksDB.loadLibrary();
        BoundedRocksDb setter = new BoundedRocksDb();
        try (Options first = new Options(); Options second = new Options(); Options applied = new Options()) {
            first.setTableFormatConfig(new BlockBasedTableConfig());
            second.setTableFormatConfig(new BlockBasedTableConfig());
            // As Kafka Streams sets them before calling the setter.
            first.setOptimizeFiltersForHits(true);
            second.setOptimizeFiltersForHits(true);
            first.setWriteBufferSize(16L * 1024 * 1024);
            second.setWriteBufferSize(16L * 1024 * 1024);
            applied.setTableFormatConfig(new BlockBasedTableConfig());
            applied.setOptimizeFiltersForHits(true);
            applied.setWriteBufferSize(16L * 1024 * 1024);
            setter.setConfig(Names.PREDICTIONS_STORE, first, Map.of(BoundedRocksDb.MEMORY_MB, "64"));
            setter.setConfig("loss-windows-1m", second, Map.of(BoundedRocksDb.MEMORY_MB, "64"));
            setter.setConfig(Names.APPLIED_LABELS_STORE, applied, Map.of(BoundedRocksDb.MEMORY_MB, "64"));
            // The first store of the process sizes the shared cache (another test may have come first).
            assertThat(BoundedRocksDb.budgetBytes()).isPositive();
            assertThat(BoundedRocksDb.sharedCache()).isNotNull();
            for (Options options : new Options[] {first, second}) {
                BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
                assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
                assertThat(table.pinTopLevelIndexAndFilter()).isTrue();
            }
            // Only the stores whose lookups are mostly misses filter their last level and their memtables.
            for (Options options : new Options[] {first, applied}) {
                assertThat(options.optimizeFiltersForHits()).isFalse();
                assertThat(options.memtableWholeKeyFiltering()).isTrue();
                assertThat(options.memtablePrefixBloomSizeRatio()).isEqualTo(BoundedRocksDb.MEMTABLE_FILTER_RATIO);
            }
            assertThat(second.optimizeFiltersForHits()).isTrue();
            // Only the predictions store, which takes nearly all the writes, has larger memtables.
            assertThat(first.writeBufferSize()).isEqualTo(64L * 1024 * 1024);
            assertThat(second.writeBufferSize()).isEqualTo(16L * 1024 * 1024);
            assertThat(applied.writeBufferSize()).isEqualTo(16L * 1024 * 1024);
            assertThat(second.memtablePrefixBloomSizeRatio()).isZero();
            setter.close(Names.PREDICTIONS_STORE, first);
            // Closing one store leaves the shared cache usable by the others.
            assertThat(BoundedRocksDb.sharedCache().isOwningHandle()).isTrue();
        }
    }
}
