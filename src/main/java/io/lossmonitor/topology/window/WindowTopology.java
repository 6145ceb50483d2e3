package io.lossmonitor.topology.window;

import io.lossmonitor.config.Durations;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.TopologySerdes;
import io.lossmonitor.topology.WriteBackStore;
import io.lossmonitor.topology.score.PredictionSignals;
import io.lossmonitor.topology.score.Score;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Windowed aggregates on prediction time, several sizes at once.
 *
 * <p>Loss windows: each score contributes to its (model, version) key and to one key per class it names. The join
 * task first folds its scores into partials per key and granule of prediction time ({@link PartialAggregator},
 * store {@code join-loss-window-partials}) and sends them on every {@code window-flush-interval}; the partials are
 * repartitioned so each key lives in one task, then merged per size into a store named {@code loss-windows-<size>}
 * whose grace is the maximum label delay, so a label days late still updates the window of its prediction. A window
 * store keeps size + grace of windows per key: for 1-minute windows and a 7-day delay, 10,080 windows of ~0.7 KB
 * (plus 8 bytes per class of the label distribution), about 7 MB per key on disk. Every update is written to the
 * loss-windows topic, keyed by window, so compaction keeps the newest.
 *
 * <p>Label-free windows: every new valid prediction, pre-aggregated the same way by (model, version), in
 * {@code prediction-windows-<size>} with a short grace (predictions arrive as they are made).
 */
public final class WindowTopology {

    private WindowTopology() {
    }

    public static void addLossWindows(StreamsBuilder builder, KStream<String, Score> scores, TopologyConfig config,
                                      TopologySerdes serdes) {
        builder.addStateStore(WriteBackStore.builder(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.LOSS_WINDOW_PARTIALS_STORE), Serdes.String(), WindowCodecs.partial())));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.LOSS_TOTALS_STORE),
                Serdes.String(), WindowCodecs.total()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.LATEST_WINDOWS_STORE),
                Serdes.String(), WindowCodecs.latestWindow()).withCachingEnabled());
        long granule = config.windowGranuleMs();
        KStream<String, WindowPartial> partials = scores
                .process(() -> new PartialAggregator<Score, WindowPartial>(Names.LOSS_WINDOW_PARTIALS_STORE, granule,
                                config.windowFlushInterval(), WindowPartial::new, (score, update) -> {
                                    for (var c : WindowContribution.of(score)) {
                                        update.accept(c.key, partial -> partial.apply(c.value));
                                    }
                                }),
                        Named.as(Names.LOSS_WINDOW_PARTIALS), Names.LOSS_WINDOW_PARTIALS_STORE)
                .repartition(Repartitioned.<String, WindowPartial>as(Names.LOSS_WINDOW_INPUT)
                        .withKeySerde(Serdes.String()).withValueSerde(WindowCodecs.partial()));
        partials.process(TotalsProcessor::new, Named.as(Names.LOSS_TOTALS), Names.LOSS_TOTALS_STORE);
        KGroupedStream<String, WindowPartial> grouped =
                partials.groupByKey(Grouped.with(Names.WINDOW_GROUP, Serdes.String(), WindowCodecs.partial()));
        Duration grace = config.maxLabelDelay();
        for (Duration size : config.windowSizes()) {
            String store = Names.lossWindowStore(size);
            grouped.windowedBy(TimeWindows.ofSizeAndGrace(size, grace))
                    .aggregate(WindowAggregate::new, (key, partial, aggregate) -> aggregate.merge(partial.aggregate()),
                            Named.as(store),
                            Materialized.<String, WindowAggregate>as(
                                            EmptyWindowStoreOffsets.persistentTimestamped(store, size.plus(grace), size))
                                    .withKeySerde(Serdes.String()).withValueSerde(WindowCodecs.aggregate()))
                    .toStream(Named.as(store + "-updates"))
                    .process(() -> new ToLossWindow(size), Named.as("to-" + store), Names.LATEST_WINDOWS_STORE)
                    .to(config.lossWindowsTopic(), Produced.with(Serdes.String(), serdes.lossWindows())
                            .withName(store + "-sink"));
        }
    }

    public static void addPredictionWindows(StreamsBuilder builder, KStream<String, PredictionSignals> signals,
                                            TopologyConfig config) {
        builder.addStateStore(WriteBackStore.builder(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.PREDICTION_WINDOW_PARTIALS_STORE), Serdes.String(),
                WindowCodecs.predictionAggregate())));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.LATEST_PREDICTION_WINDOWS_STORE), Serdes.String(),
                WindowCodecs.latestPredictionWindow()).withCachingEnabled());
        KGroupedStream<String, PredictionWindowAggregate> grouped = signals
                .process(() -> new PartialAggregator<PredictionSignals, PredictionWindowAggregate>(
                                Names.PREDICTION_WINDOW_PARTIALS_STORE, config.windowGranuleMs(), config.windowFlushInterval(),
                                PredictionWindowAggregate::new, (s, update) -> update.accept(
                                        WindowKey.all(s.modelId(), s.modelVersion()).encode(), partial -> partial.apply(s))),
                        Named.as(Names.PREDICTION_WINDOW_PARTIALS), Names.PREDICTION_WINDOW_PARTIALS_STORE)
                .repartition(Repartitioned.<String, PredictionWindowAggregate>as(Names.PREDICTION_WINDOW_INPUT)
                        .withKeySerde(Serdes.String()).withValueSerde(WindowCodecs.predictionAggregate()))
                .groupByKey(Grouped.with(Names.SIGNALS_GROUP, Serdes.String(), WindowCodecs.predictionAggregate()));
        Duration grace = config.predictionGrace();
        for (Duration size : config.windowSizes()) {
            String store = Names.predictionWindowStore(size);
            grouped.windowedBy(TimeWindows.ofSizeAndGrace(size, grace))
                    .aggregate(PredictionWindowAggregate::new, (key, partial, aggregate) -> aggregate.merge(partial),
                            Named.as(store),
                            Materialized.<String, PredictionWindowAggregate>as(
                                            EmptyWindowStoreOffsets.persistentTimestamped(store, size.plus(grace), size))
                                    .withKeySerde(Serdes.String()).withValueSerde(WindowCodecs.predictionAggregate()))
                    .toStream(Named.as(store + "-updates"))
                    .process(() -> new KeepLatest<PredictionWindowAggregate, Void>(size, Names.LATEST_PREDICTION_WINDOWS_STORE),
                            Named.as("to-latest-" + store), Names.LATEST_PREDICTION_WINDOWS_STORE);
        }
    }

    /** Keeps the newest window of each key and size in a key-value store; forwards nothing. */
    private static class KeepLatest<A, V> implements Processor<Windowed<String>, A, String, V> {

        private final long sizeMs;
        private final String storeName;
        private KeyValueStore<String, LatestWindow<A>> latest;

        KeepLatest(Duration size, String storeName) {
            this.sizeMs = size.toMillis();
            this.storeName = storeName;
        }

        @Override
        public void init(ProcessorContext<String, V> context) {
            latest = context.getStateStore(storeName);
        }

        @Override
        public void process(Record<Windowed<String>, A> record) {
            if (record.value() == null) {
                return;
            }
            String key = LatestWindow.key(record.key().key(), sizeMs);
            long start = record.key().window().start();
            LatestWindow<A> current = latest.get(key);
            if (current == null || current.startMs() <= start) {
                latest.put(key, new LatestWindow<>(sizeMs, start, record.value()));
            }
        }
    }

    /** The all-time totals of each window key, for the counters. */
    private static final class TotalsProcessor implements Processor<String, WindowPartial, Void, Void> {

        private KeyValueStore<String, LossTotal> totals;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            totals = context.getStateStore(Names.LOSS_TOTALS_STORE);
        }

        @Override
        public void process(Record<String, WindowPartial> record) {
            LossTotal total = totals.get(record.key());
            totals.put(record.key(), (total == null ? new LossTotal() : total).merge(record.value().total()));
        }
    }

    /** The compaction key of a window on the loss-windows topic: model|version|class|size|start. */
    public static String topicKey(WindowKey key, Duration size, long startMs) {
        return key.modelId() + "|" + key.modelVersion() + "|" + (key.isAll() ? "*" : key.className()) + "|"
                + Durations.format(size) + "|" + Instant.ofEpochMilli(startMs);
    }

    /**
     * Turns a window update into its LossWindow record, stamped with the update's stream time, and keeps the newest
     * window of its key.
     */
    private static final class ToLossWindow extends KeepLatest<WindowAggregate, LossWindow> {

        private final Duration size;
        private ProcessorContext<String, LossWindow> context;

        ToLossWindow(Duration size) {
            super(size, Names.LATEST_WINDOWS_STORE);
            this.size = size;
        }

        @Override
        public void init(ProcessorContext<String, LossWindow> context) {
            super.init(context);
            this.context = context;
        }

        @Override
        public void process(Record<Windowed<String>, WindowAggregate> record) {
            if (record.value() == null) {
                return;
            }
            super.process(record);
            WindowKey key = WindowKey.decode(record.key().key());
            long start = record.key().window().start();
            context.forward(record.withKey(topicKey(key, size, start)).withValue(
                    LossWindows.of(key, size.toMillis(), start, record.value(), context.currentStreamTimeMs())));
        }
    }
}
