package io.lossmonitor.topology;

import java.util.Optional;
import java.util.Set;
import io.lossmonitor.topology.intake.Intake;
import io.lossmonitor.topology.intake.LabelIntakeProcessor;
import io.lossmonitor.topology.intake.PredictionIntakeProcessor;
import io.lossmonitor.topology.join.JoinCodecs;
import io.lossmonitor.topology.join.JoinInput;
import io.lossmonitor.topology.join.JoinKeys;
import io.lossmonitor.topology.join.JoinOutput;
import io.lossmonitor.topology.join.LabelJoinProcessor;
import io.lossmonitor.topology.score.Score;
import io.lossmonitor.topology.window.WindowTopology;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;

/**
 * The loss-monitor topology, a pure function of its configuration and serdes (the tests build it the same way):
 * <pre>
 *  predictions ─▶ decode-predictions ─┐   home ─────────────────┐              ┌─▶ scored-events
 *                                     ├─▶ │                     ├─▶ label-join ─┼─▶ late-labels
 *  labels ──────▶ decode-labels ──────┘   away ─▶ join-input ───┘              └─▶ dead letters (labels that do not fit)
 *                   │                     (repartition by prediction id)
 *                   └─▶ dead letters (undecodable or invalid records)
 *  models ─▶ model-specs (global table, read by intake and join)
 *  scores ─▶ window-input (by model, version, class) ─▶ loss-windows-&lt;size&gt; stores ─▶ loss-windows topic
 *  new predictions ─▶ prediction-signals (by model, version) ─▶ prediction-windows-&lt;size&gt; stores
 * </pre>
 * Predictions and labels are routed to the join task of their (model, prediction id) by {@link InputRouting}: the
 * ones already in their prediction id's partition (producers that key both topics by it, topics with one partition
 * count) are joined where they are, the others cross the one {@code join-input} repartition topic, partitioned as
 * the producers' default partitioner would have; inputs whose partition counts differ all cross it.
 */
public final class LossTopology {

    private LossTopology() {
    }

    public static Topology build(TopologyConfig config, TopologySerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        join(builder, config, serdes);
        return builder.build();
    }

    /** Adds the intake, the join and the windows to {@code builder}. */
    private static void join(StreamsBuilder builder, TopologyConfig config, TopologySerdes serdes) {
        // Bytes: the specs are read by the processors that use them (see ModelRules), never by the global thread.
        builder.globalTable(config.modelsTopic(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(Names.MODELS_SOURCE),
                Materialized.<String, byte[]>as(Stores.inMemoryKeyValueStore(Names.MODEL_SPECS_STORE))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()));
        long skew = config.maxClockSkew().toMillis();
        // A write-back buffer of live objects on the stores whose few keys nearly every record updates (the
        // accounting counters; the window partials), Kafka Streams' caching on the window totals: such a key reaches
        // RocksDB and its changelog once per commit. Neither on the join's own stores: a prediction is written once
        // and its label comes commits later, so caching them would only add work to each commit, which under
        // exactly-once is what a label waits for.
        builder.addStateStore(WriteBackStore.builder(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.INTAKE_ACCOUNTING_STORE), Serdes.String(), Serdes.Long())));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.AWAITING_SCHEMA_STORE), Serdes.Bytes(), Serdes.ByteArray()));

        KStream<String, Intake> predictions = builder
                .stream(config.predictionsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withTimestampExtractor(new PayloadTimestampExtractor(serdes.registry(), true, skew))
                        .withName(Names.PREDICTIONS_SOURCE))
                .process(() -> new PredictionIntakeProcessor(serdes.predictions(), serdes.modelSpecs(), config),
                        Named.as(Names.DECODE_PREDICTIONS), Names.INTAKE_ACCOUNTING_STORE, Names.AWAITING_SCHEMA_STORE);
        KStream<String, Intake> labels = builder
                .stream(config.labelsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withTimestampExtractor(new PayloadTimestampExtractor(serdes.registry(), false, skew))
                        .withName(Names.LABELS_SOURCE))
                .process(() -> new LabelIntakeProcessor(serdes.labels(), serdes.modelSpecs(), config),
                        Named.as(Names.DECODE_LABELS), Names.INTAKE_ACCOUNTING_STORE, Names.AWAITING_SCHEMA_STORE);

        // Each intake processor forwards accepted records to MERGE_INTAKE and dead letters to MERGE_DEAD_LETTERS, by
        // name, and the join forwards each kind of output to its own mapping node: every node a record passes costs
        // it time, and branch nodes would add two per record and fork.
        predictions.merge(labels, Named.as(Names.MERGE_DEAD_LETTERS))
                .map((key, value) -> KeyValue.pair(((Intake.DeadLetter) value).key(), ((Intake.DeadLetter) value).value()),
                        Named.as(Names.TO_DEAD_LETTER))
                .to(config.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(Names.INTAKE_DEAD_LETTERS_SINK));
        KStream<String, JoinInput> routed = predictions.merge(labels, Named.as(Names.MERGE_INTAKE))
                .process(() -> new IntakeRouter(config.inputRouting().mode()), Named.as(Names.ROUTE_INTAKE));

        addJoinStores(builder);
        KStream<String, JoinOutput> joined = joinInput(routed, config)
                .process(() -> new LabelJoinProcessor(config, serdes.modelSpecs()), Named.as(Names.LABEL_JOIN),
                        Names.PREDICTIONS_STORE, Names.APPLIED_LABELS_STORE, Names.EARLY_LABELS_STORE, Names.EXPIRY_STORE,
                        Names.JOIN_ACCOUNTING_STORE);

        KStream<String, Score> scores = joined.mapValues(value -> ((JoinOutput.Scored) value).score(),
                Named.as(Names.TO_SCORE));
        scores.to(config.scoredEventsTopic(), Produced.with(Serdes.String(), serdes.scoredEvents())
                        .withName(Names.SCORED_EVENTS_SINK));
        joined.map((key, value) -> KeyValue.pair(((JoinOutput.Late) value).label().rawKey(),
                        ((JoinOutput.Late) value).label().rawValue()), Named.as(Names.TO_LATE_LABELS))
                .to(config.lateLabelsTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(Names.LATE_LABELS_SINK));
        joined.map((key, value) -> KeyValue.pair(((JoinOutput.Rejected) value).label().rawKey(),
                        ((JoinOutput.Rejected) value).label().rawValue()), Named.as(Names.TO_JOIN_DEAD_LETTERS))
                .to(config.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(Names.JOIN_DEAD_LETTERS_SINK));

        WindowTopology.addLossWindows(builder, scores, config, serdes);
        WindowTopology.addPredictionWindows(builder, joined.mapValues(value -> ((JoinOutput.Observed) value).signals(),
                Named.as(Names.TO_SIGNALS)), config);
    }

    /**
     * The accepted records on their way to the join task of their key ({@link InputRouting}, {@link IntakeRouter}).
     * Records already in their prediction id's partition are joined where they are: the repartition would cost each
     * a second produce and consume (and, exactly-once, a second transactional hop) for nothing.
     */
    private static KStream<String, JoinInput> joinInput(KStream<String, JoinInput> routed, TopologyConfig config) {
        Repartitioned<String, JoinInput> byId = Repartitioned.<String, JoinInput>as(Names.JOIN_INPUT)
                .withKeySerde(Serdes.String()).withValueSerde(JoinCodecs.joinInput());
        InputRouting routing = config.inputRouting();
        return switch (routing.mode()) {
            case KEYED -> routed;
            // TO_JOIN_INPUT changes nothing: it names the repartition's first node, which the router addresses.
            case REPARTITION -> routed.mapValues(value -> value, Named.as(Names.TO_JOIN_INPUT))
                    .repartition(config.partitions() > 0 ? byId.withNumberOfPartitions(config.partitions()) : byId);
            case LOCAL_FIRST -> routed.merge(routed.mapValues(value -> value, Named.as(Names.TO_JOIN_INPUT))
                            .repartition(byId.withNumberOfPartitions(routing.partitions())
                                    .withStreamPartitioner(byPredictionId())),
                    Named.as(Names.MERGE_JOIN_INPUT));
        };
    }

    /**
     * Where Kafka's default partitioner puts a record keyed by the join key's prediction id, so that a repartitioned
     * record lands in the partition number its id's records are read from when they need no repartition.
     */
    static StreamPartitioner<String, JoinInput> byPredictionId() {
        return (topic, key, value, partitions) ->
                Optional.of(Set.of(InputRouting.partitionOf(JoinKeys.predictionId(key), partitions)));
    }

    private static void addJoinStores(StreamsBuilder builder) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.PREDICTIONS_STORE),
                Serdes.String(), JoinCodecs.storedPrediction()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.APPLIED_LABELS_STORE),
                Serdes.String(), Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.EARLY_LABELS_STORE),
                Serdes.String(), JoinCodecs.earlyLabel()));
        builder.addStateStore(Stores.<Bytes, byte[]>keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.EXPIRY_STORE),
                Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(WriteBackStore.builder(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Names.JOIN_ACCOUNTING_STORE), Serdes.String(), Serdes.Long())));
    }
}
