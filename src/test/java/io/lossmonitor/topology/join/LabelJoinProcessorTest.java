package io.lossmonitor.topology.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.DeadLetters;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.TopologySerdes;
import io.lossmonitor.topology.join.JoinInput.LabelInput;
import io.lossmonitor.topology.join.JoinInput.PredictionInput;
import io.lossmonitor.topology.score.Score;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The join processor alone, with in-memory stores and a hand-driven clock. */
class LabelJoinProcessorTest {

    private static final long T0 = 1_767_225_600_000L;
    private static final long DAY = 86_400_000L;
    private static final double[] LOGITS = {2.0, -3.0, 0.8, 1.2};

    private final TopologyConfig config = TopologyConfig.defaults().withEarlyLabelTtl(Duration.ofHours(1));
    private MockProcessorContext<String, JoinOutput> context;
    private LabelJoinProcessor processor;
    private KeyValueStore<String, StoredPrediction> predictions;
    private KeyValueStore<Bytes, byte[]> expiry;
    private KeyValueStore<String, byte[]> applied;
    private KeyValueStore<String, Long> accounting;
    private final AtomicInteger visited = new AtomicInteger();
    private AvroDeserializer<ModelSpec> specs;
    private TimestampedKeyValueStore<String, byte[]> specStore;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        predictions = add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.PREDICTIONS_STORE),
                Serdes.String(), JoinCodecs.storedPrediction()).withLoggingDisabled().build());
        applied = add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.APPLIED_LABELS_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build());
        add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.EARLY_LABELS_STORE), Serdes.String(),
                JoinCodecs.earlyLabel()).withLoggingDisabled().build());
        expiry = countingRanges(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.EXPIRY_STORE),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build());
        accounting = add(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.JOIN_ACCOUNTING_STORE),
                Serdes.String(), Serdes.Long()).withLoggingDisabled().build());
        RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, SharedRegistry.get().url())));
        specs = new TopologySerdes(registry).modelSpecs();
        specStore = add(Stores.timestampedKeyValueStoreBuilder(Stores.inMemoryKeyValueStore(Names.MODEL_SPECS_STORE),
                Serdes.String(), Serdes.ByteArray()).withLoggingDisabled().build());
        processor = new LabelJoinProcessor(config, specs);
        processor.init(context);
    }

    @SuppressWarnings("deprecation")
    private <S extends StateStore> S add(S store) {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return store;
    }

    /** The expiry store, with every entry that a range scan hands out counted. */
    @SuppressWarnings("unchecked")
    private KeyValueStore<Bytes, byte[]> countingRanges(KeyValueStore<Bytes, byte[]> store) {
        add(store);
        KeyValueStore<Bytes, byte[]> counting = (KeyValueStore<Bytes, byte[]>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                    Object result = method.invoke(store, args);
                    if (method.getName().equals("range")) {
                        KeyValueIterator<Bytes, byte[]> it = (KeyValueIterator<Bytes, byte[]>) result;
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {KeyValueIterator.class},
                                (p, m, a) -> {
                                    if (m.getName().equals("next")) {
                                        visited.incrementAndGet();
                                    }
                                    if (m.getName().equals("forEachRemaining")) {
                                        while (it.hasNext()) {
                                            visited.incrementAndGet();
                                            ((java.util.function.Consumer<Object>) a[0]).accept(it.next());
                                        }
                                        return null;
                                    }
                                    return m.invoke(it, a);
                                });
                    }
                    return result;
                });
        context.addStateStore(counting);
        return counting;
    }

    private static PredictionEvent prediction(String id, long time) {
        return new PredictionEvent(id, "ranker", "v1", time, Task.MULTICLASS, OutputKind.LOGITS, LOGITS.clone(), Map.of());
    }

    private static LabelInput label(String id, long time, int target) {
        return new LabelInput(new LabelEvent(id, "ranker", time, target, null, 1.0), id.getBytes(), new byte[] {1, 2},
                "labels", 3, 42);
    }

    private void process(JoinInput input, long streamTime) {
        context.setCurrentStreamTimeMs(streamTime);
        String id = input instanceof PredictionInput p ? p.prediction().predictionId()
                : ((LabelInput) input).label().predictionId();
        processor.process(new Record<>(JoinKeys.of("ranker", id), input, streamTime));
    }

    /** What the join forwarded, leaving out the label-free observations of new predictions. */
    private List<Record<?, ?>> outputs() {
        List<Record<?, ?>> out = new java.util.ArrayList<>();
        for (var f : context.forwarded()) {
            if (!(f.record().value() instanceof JoinOutput.Observed)) {
                out.add(f.record());
            }
        }
        return out;
    }

    private long count(String stream, String outcome) {
        Long v = accounting.get(Accounting.key(stream, "ranker", outcome));
        return v == null ? 0 : v;
    }

    @Test
    void aLabelIsStoredBesideItsPredictionWhichIsNotWrittenAgain() {
        String key = JoinKeys.of("ranker", "p");
        process(new PredictionInput(prediction("p", T0)), T0);
        process(label("p", T0 + 1_000, 2), T0 + 1_000);
        assertThat(predictions.get(key).pending()).as("the stored prediction, as it was written").isTrue();
        StoredPrediction scored = JoinCodecs.withApplied(predictions.get(key).withIds(key), applied.get(key));
        assertThat(scored.label().targetIndex()).isEqualTo(2);
        Score first = ((JoinOutput.Scored) outputs().get(0).value()).score();
        assertThat(scored.score().numerator()).isEqualTo(first.numerator());

        // A correction replaces the applied label; the prediction stays as it was.
        process(label("p", T0 + 2_000, 0), T0 + 2_000);
        assertThat(outputs()).hasSize(3);
        assertThat(((JoinOutput.Scored) outputs().get(1).value()).score().retraction()).isTrue();
        assertThat(JoinCodecs.withApplied(predictions.get(key).withIds(key), applied.get(key)).label().targetIndex())
                .isZero();

        // At the deadline both go.
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 7 * DAY);
        assertThat(predictions.get(key)).isNull();
        assertThat(applied.get(key)).isNull();
        assertThat(count(Accounting.PREDICTIONS, Accounting.EXPIRED)).as("it was scored").isZero();
    }

    @Test
    void aPredictionStoredWithItsLabelByAnEarlierVersionIsStillCorrectedAndExpired() {
        String key = JoinKeys.of("ranker", "p");
        process(new PredictionInput(prediction("p", T0)), T0);
        process(label("p", T0 + 1_000, 2), T0 + 1_000);
        Score first = ((JoinOutput.Scored) outputs().get(0).value()).score();
        // As versions before the applied-labels store kept it: the label and score inside the stored prediction.
        predictions.put(key, JoinCodecs.withApplied(predictions.get(key).withIds(key), applied.get(key)));
        applied.delete(key);
        // A fresh processor, as after an upgrade: nothing held in memory.
        processor = new LabelJoinProcessor(config, specs);
        processor.init(context);

        process(label("p", T0 + 1_000, 2), T0 + 3_000);
        assertThat(outputs()).as("the same label again is a duplicate").hasSize(1);
        process(label("p", T0 + 2_000, 0), T0 + 4_000);
        assertThat(outputs()).hasSize(3);
        Score retraction = ((JoinOutput.Scored) outputs().get(1).value()).score();
        assertThat(retraction.retraction()).isTrue();
        assertThat(retraction.numerator()).isEqualTo(first.numerator());
        assertThat(JoinCodecs.withApplied(predictions.get(key).withIds(key), applied.get(key)).label().targetIndex())
                .isZero();

        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 7 * DAY);
        assertThat(predictions.get(key)).isNull();
        assertThat(applied.get(key)).isNull();
    }

    @Test
    void aSweepVisitsOnlyTheEntriesThatAreDue() {
        for (int i = 0; i < 1000; i++) {
            process(new PredictionInput(prediction("future-" + i, T0 + DAY + i)), T0 + DAY);
        }
        for (int i = 0; i < 5; i++) {
            process(new PredictionInput(prediction("due-" + i, T0 + i)), T0 + DAY);
        }
        assertThat(context.scheduledPunctuators()).singleElement()
                .satisfies(p -> assertThat(p.getInterval()).isEqualTo(config.punctuateInterval()));
        visited.set(0);
        // Deadlines are prediction time + 7 days: only the five due-* are due at T0 + 7 days + 10 s.
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 7 * DAY + 10_000);
        assertThat(visited.get()).isEqualTo(5);
        assertThat(count(Accounting.PREDICTIONS, Accounting.EXPIRED)).isEqualTo(5);
        assertThat(count(Accounting.PREDICTIONS, Accounting.PENDING)).isEqualTo(1000);
        assertThat(predictions.approximateNumEntries()).isEqualTo(1000);
        assertThat(expiry.approximateNumEntries()).isEqualTo(1000);
    }

    @Test
    void aLabelPastTheDeadlineBeforeTheSweepIsTooLateAtOnce() {
        process(new PredictionInput(prediction("p", T0)), T0);
        process(label("p", T0 + 8 * DAY, 2), T0 + 8 * DAY);
        List<JoinOutput> out = outputs().stream().map(r -> (JoinOutput) r.value()).toList();
        assertThat(out).singleElement().isInstanceOfSatisfying(JoinOutput.Late.class,
                l -> assertThat(l.reason()).isEqualTo("too-late"));
        var record = outputs().get(0);
        assertThat(DeadLetters.get(record.headers(), Names.HEADER_SOURCE_TOPIC)).isEqualTo("labels");
        assertThat(DeadLetters.get(record.headers(), Names.HEADER_SOURCE_PARTITION)).isEqualTo("3");
        assertThat(DeadLetters.get(record.headers(), Names.HEADER_SOURCE_OFFSET)).isEqualTo("42");
        assertThat(count(Accounting.PREDICTIONS, Accounting.EXPIRED)).isEqualTo(1);
        assertThat(count(Accounting.LABELS, Accounting.LATE)).isEqualTo(1);
        assertThat(predictions.get(JoinKeys.of("ranker", "p"))).isNull();
    }

    @Test
    void aLabelInTimeByItsClockButAfterStreamTimePassedTheDeadlineIsLateAsExpired() {
        process(new PredictionInput(prediction("p", T0)), T0);
        process(label("p", T0 + DAY, 2), T0 + 7 * DAY + 1);
        assertThat(outputs()).singleElement().satisfies(r ->
                assertThat(((JoinOutput.Late) r.value()).reason()).isEqualTo("expired"));
    }

    @Test
    void anEarlyLabelIsAnOrphanAfterItsTtl() {
        process(label("p", T0, 1), T0);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 3_599_999);
        assertThat(context.forwarded()).isEmpty();
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 3_600_000);
        assertThat(context.forwarded()).singleElement().satisfies(f ->
                assertThat(((JoinOutput.Late) f.record().value()).reason()).isEqualTo("orphan"));
        assertThat(count(Accounting.LABELS, Accounting.EARLY_PENDING)).isZero();
        assertThat(expiry.approximateNumEntries()).isZero();
    }

    @Test
    void aJoinedEarlyLabelLeavesNoOrphanBehind() {
        process(label("p", T0 + 5, 1), T0 + 5);
        process(new PredictionInput(prediction("p", T0)), T0 + 10);
        assertThat(outputs()).singleElement().satisfies(r ->
                assertThat(r.value()).isInstanceOf(JoinOutput.Scored.class));
        context.resetForwards();
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0 + 2 * 3_600_000);
        assertThat(outputs()).isEmpty();
        // Only the scored prediction's own entry is left, until its deadline.
        assertThat(expiry.approximateNumEntries()).isEqualTo(1);
        List<KeyValue<Bytes, byte[]>> left = new java.util.ArrayList<>();
        try (var it = expiry.all()) {
            it.forEachRemaining(left::add);
        }
        assertThat(ExpiryIndex.kind(left.get(0).key)).isEqualTo(ExpiryIndex.PREDICTION);
    }

    @Test
    void aSpecChangedSinceItsPredictionWhoseSchemaCannotBeFetchedRejectsTheLabelWithTheReason() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        RegistryClient unreachable = new RegistryClient(RegistryConfig.from(Map.of(
                RegistryConfig.URL, "http://127.0.0.1:" + closed, RegistryConfig.MAX_RETRIES, 0)));
        processor = new LabelJoinProcessor(config, new TopologySerdes(unreachable).modelSpecs());
        processor.init(context);
        process(new PredictionInput(prediction("p", T0)), T0);
        // Published after the prediction's intake, with a schema id this application has never fetched.
        RegistryClient producers = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, SharedRegistry.get().url())));
        specStore.put("ranker", ValueAndTimestamp.make(new io.lossmonitor.registry.AvroSerializer<ModelSpec>(producers, false)
                .serialize("models-join-test", ModelSpec.newBuilder().setModelId("ranker").build()), T0));
        context.resetForwards();
        process(label("p", T0 + 10, 1), T0 + 10);
        assertThat(outputs()).singleElement().satisfies(r -> {
            JoinOutput.Rejected rejected = (JoinOutput.Rejected) r.value();
            assertThat(rejected.reason()).isEqualTo("INVALID_SPEC");
            assertThat(rejected.message()).startsWith("the spec of model 'ranker' changed and its schema cannot be fetched now");
        });
        assertThat(count(Accounting.LABELS, Accounting.INVALID)).isEqualTo(1);
        assertThat(count(Accounting.PREDICTIONS, Accounting.PENDING)).isEqualTo(1);
    }

    @Test
    void anEarlyLabelHeldBeforeARestartIsStillFoundByItsPrediction() {
        // The processor keeps count of the early labels it holds, to skip looking for one when there are none; a
        // restarted task must count those already in its store.
        process(label("p", T0 + 5, 1), T0 + 5);
        processor = new LabelJoinProcessor(config, specs);
        processor.init(context);
        context.resetForwards();
        process(new PredictionInput(prediction("p", T0)), T0 + 10);
        assertThat(outputs()).singleElement().satisfies(r ->
                assertThat(r.value()).isInstanceOf(JoinOutput.Scored.class));
        assertThat(count(Accounting.LABELS, Accounting.JOINED)).isEqualTo(1);
        // And once it is joined there is none left to look for.
        process(new PredictionInput(prediction("q", T0 + 20)), T0 + 20);
        process(label("q", T0 + 30, 1), T0 + 30);
        assertThat(count(Accounting.LABELS, Accounting.JOINED)).isEqualTo(2);
    }

    @Test
    void everyNewPredictionIsObservedOnceForTheLabelFreeWindows() {
        process(new PredictionInput(prediction("p", T0)), T0);
        process(new PredictionInput(prediction("p", T0)), T0 + 1);
        process(new PredictionInput(prediction("q", T0 + 2)), T0 + 2);
        List<JoinOutput.Observed> observed = context.forwarded().stream()
                .map(f -> f.record().value()).filter(v -> v instanceof JoinOutput.Observed)
                .map(v -> (JoinOutput.Observed) v).toList();
        assertThat(observed).hasSize(2);
        // LOGITS argmax is class 0 (logit 2); its softmax probability by hand.
        double z = Math.exp(2.0) + Math.exp(-3.0) + Math.exp(0.8) + Math.exp(1.2);
        assertThat(observed.get(0).signals().predictedClass()).isZero();
        assertThat(observed.get(0).signals().confidence())
                .isCloseTo(Math.exp(2.0) / z, org.assertj.core.api.Assertions.within(1e-15));
    }

    @Test
    void atTheCapThePendingPredictionClosestToItsDeadlineIsEvicted() {
        LabelJoinProcessor capped = new LabelJoinProcessor(config.withMaxPending(3), specs);
        capped.init(context);
        java.util.function.BiConsumer<JoinInput, Long> feed = (input, time) -> {
            context.setCurrentStreamTimeMs(time);
            String id = input instanceof PredictionInput p ? p.prediction().predictionId()
                    : ((LabelInput) input).label().predictionId();
            capped.process(new Record<>(JoinKeys.of("ranker", id), input, time));
        };
        // 'scored' has the earliest deadline but is not pending: it is passed over.
        feed.accept(new PredictionInput(prediction("scored", T0)), T0);
        feed.accept(label("scored", T0 + 1, 1), T0 + 1);
        for (int i = 1; i <= 5; i++) {
            feed.accept(new PredictionInput(prediction("p" + i, T0 + i * 1000L)), T0 + i * 1000L);
        }
        assertThat(count(Accounting.PREDICTIONS, Accounting.PENDING)).isEqualTo(3);
        assertThat(count(Accounting.PREDICTIONS, Accounting.EVICTED)).isEqualTo(2);
        assertThat(count(Accounting.PREDICTIONS, Accounting.EXPIRED)).isEqualTo(2);
        // The two oldest went; the scored one and the three newest stay.
        assertThat(predictions.get(JoinKeys.of("ranker", "p1"))).isNull();
        assertThat(predictions.get(JoinKeys.of("ranker", "p2"))).isNull();
        assertThat(predictions.get(JoinKeys.of("ranker", "p3"))).isNotNull();
        assertThat(predictions.get(JoinKeys.of("ranker", "scored"))).isNotNull();
        assertThat(expiry.approximateNumEntries()).isEqualTo(4);
    }
}
