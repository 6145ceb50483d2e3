package io.lossmonitor.topology.join;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AccountingTest {

    private KeyValueStore<String, Long> store;
    private Accounting accounting;

    @BeforeEach
    @SuppressWarnings("deprecation")
    void setUp() {
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("accounting"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        accounting = new Accounting(store);
    }

    @Test
    void countsStayExactWhenMoreModelsArriveThanTheKeyCacheHolds() {
        int models = 12_345;
        for (int round = 0; round < 2; round++) {
            for (int m = 0; m < models; m++) {
                accounting.increment(Accounting.PREDICTIONS, "model-" + m, Accounting.SCORED);
            }
        }
        accounting.add(Accounting.PREDICTIONS, "model-7", Accounting.PENDING, 3);
        accounting.add(Accounting.PREDICTIONS, "model-7", Accounting.PENDING, -1);

        for (int m = 0; m < models; m++) {
            assertThat(store.get(Accounting.key(Accounting.PREDICTIONS, "model-" + m, Accounting.SCORED))).isEqualTo(2L);
        }
        assertThat(store.get(Accounting.key(Accounting.PREDICTIONS, "model-7", Accounting.PENDING))).isEqualTo(2L);
        assertThat(accounting.total(Accounting.PREDICTIONS, Accounting.SCORED)).isEqualTo(2L * models);
        assertThat(store.get(Accounting.key(Accounting.LABELS, "model-7", Accounting.SCORED))).isNull();
    }

    @Test
    void delaysAreCountedInTheirBucketAndSummed() {
        // Buckets' upper bounds in seconds: 1, 10, 60, ...; 5 s falls in the second (index 1), 0.5 s in the first,
        // a negative delay counts as 0, and 30 days is beyond the last bound (+Inf, index 9).
        accounting.observeDelay("m", 5_000);
        accounting.observeDelay("m", 500);
        accounting.observeDelay("m", -20);
        accounting.observeDelay("m", 30L * 86_400_000);

        assertThat(store.get(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_BUCKET + 0))).isEqualTo(2L);
        assertThat(store.get(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_BUCKET + 1))).isEqualTo(1L);
        assertThat(store.get(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_BUCKET + 9))).isEqualTo(1L);
        assertThat(store.get(Accounting.key(Accounting.LABELS, "m", Accounting.DELAY_SUM_MS)))
                .isEqualTo(5_000L + 500 + 30L * 86_400_000);
    }
}
