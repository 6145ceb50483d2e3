package io.lossmonitor.bench;

import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.Directories;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.generator.GeneratedRecord;
import io.lossmonitor.generator.KafkaTrafficSink;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.LossTopology;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.StreamsSettings;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.TopologySerdes;
import io.lossmonitor.topology.join.Accounting;
import io.lossmonitor.topology.join.JoinCodecs;
import io.lossmonitor.topology.join.JoinKeys;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.Stores;

/**
 * End-to-end throughput on a real (in-JVM) broker and registry: the input topics are pre-loaded with generated
 * predictions and labels, then (a) a Kafka Streams pass-through (decode with the same deserializer, re-encode, write)
 * and (b) loss-monitor each catch up from the earliest offset, one after the other, with the same settings
 * (exactly_once_v2, two partitions). Reported: input records/s, the application's CPU-seconds (its own threads)
 * and heap bytes allocated per input record, the ratio b/a, joined events per CPU-second (also for (c), loss-monitor
 * repartitioning every record to its join task, as it does for producers that do not key by prediction id; the
 * generator does, so (b), with the service's default routing, joins every record where it is), (d) a reference join
 * that only holds state ({@link #referenceJoin}) and (b)'s CPU as a multiple of (d)'s, state bytes per pending
 * prediction, and the time back to RUNNING after a restart with the state directory kept and wiped. Run:
 * {@code ./mvnw -B -q -Pbench test-compile exec:exec -Dbench.main=io.lossmonitor.bench.EndToEndBenchmark}
 * (optionally {@code -Dbench.args="PREDICTIONS [C,...] [ROUNDS]"}: predictions per class count [200000], the class
 * counts [10,100], runs per application whose medians are reported [3]).
 */
public final class EndToEndBenchmark {

    /** The suffix of the application ids that run with {@link Benchmarks#variantOverrides()}. */
    private static final String VARIANT = "-variant";
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private EndToEndBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int predictions = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        List<String> results = new ArrayList<>();
        try (EmbeddedKafka kafka = Benchmarks.broker(); ApicurioRegistry registryServer = new ApicurioRegistry()) {
            kafka.start();
            registryServer.start();
            RegistryClient registry = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, registryServer.url())));
            System.out.printf(Locale.ROOT, "%-6s %-17s %10s %12s %10s %14s %14s %14s%n", "C", "application", "records",
                    "records/s", "cpu-s", "records/cpu-s", "process cpu-s", "alloc B/record");
            int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
            List<Integer> classCounts = args.length > 1
                    ? java.util.Arrays.stream(args[1].split(",")).map(Integer::valueOf).toList() : List.of(10, 100);
            for (int classes : classCounts) {
                String in = "c" + classes;
                TopologyConfig config = TopologyConfig.defaults().withTopics(in + "-predictions", in + "-labels",
                        in + "-models", in + "-scored", in + "-late", in + "-dead", in + "-windows");
                kafka.createTopics(2, config.predictionsTopic(), config.labelsTopic());
                kafka.createTopics(1, config.modelsTopic(), config.scoredEventsTopic(), config.lateLabelsTopic(),
                        config.deadLetterTopic(), config.lossWindowsTopic(), in + "-passthrough", in + "-joined");
                long records = preload(kafka, registry, config, classes, predictions);
                if (!Benchmarks.variantOverrides().isEmpty()) {
                    compareVariant(kafka, registry, config, in, records, rounds);
                    continue;
                }

                // Each application runs `rounds` times, interleaved, each as a new group from the earliest offset; the
                // medians are reported (this shared 2-core VM varies by a third from one run to the next). Before them
                // each runs once unreported on the same records: with only a small warm-up the JIT was still compiling
                // through the measured rounds (each round was faster than the one before, C2's threads took a sixth
                // of the CPU), and a service runs for days, so its compiled steady state is what is measured.
                List<String> inputs = List.of(config.predictionsTopic(), config.labelsTopic());
                // The service's routing for these inputs (two partitions each): LOCAL_FIRST; and every record repartitioned.
                TopologyConfig localFirst = config.withInputRouting(InputRouting.localFirst(2));
                Path state = Directories.scratch("restart-");
                List<Run> passThroughs = new ArrayList<>();
                List<Run> lossMonitors = new ArrayList<>();
                List<Run> repartitioneds = new ArrayList<>();
                List<Run> references = new ArrayList<>();
                for (int round = -1; round < rounds; round++) {
                    String r = round < 0 ? "-warm" : round == 0 ? "" : "-r" + round;
                    passThroughs.add(run(kafka, "passthrough-" + in + r, records, inputs,
                            () -> passThrough(config, in + "-passthrough", registry), null));
                    lossMonitors.add(run(kafka, "lossmon-" + in + r, records, inputs,
                            () -> LossTopology.build(localFirst, new TopologySerdes(registry)), round == 0 ? state : null));
                    repartitioneds.add(run(kafka, "lossmon-repartitioned-" + in + r, records, inputs,
                            () -> LossTopology.build(config, new TopologySerdes(registry)), null));
                    references.add(run(kafka, "refjoin-" + in + r, records, inputs,
                            () -> referenceJoin(config, in + "-joined", registry), null));
                }
                for (List<Run> runs : List.of(passThroughs, lossMonitors, repartitioneds, references)) {
                    runs.remove(0);
                }
                Run passThrough = median(passThroughs);
                Run lossMonitor = median(lossMonitors);
                Run repartitioned = median(repartitioneds);
                Run reference = median(references);
                print(classes, "pass-through", records, passThrough);
                print(classes, "loss-monitor", records, lossMonitor);
                print(classes, "lm, repartitioned", records, repartitioned);
                print(classes, "reference join", records, reference);
                double ratio = (records / lossMonitor.seconds) / (records / passThrough.seconds);
                double joinedPerCpu = lossMonitor.joined / lossMonitor.cpuSeconds;
                double repartitionedRatio = (records / repartitioned.seconds) / (records / passThrough.seconds);
                double repartitionedJoinedPerCpu = repartitioned.joined / repartitioned.cpuSeconds;
                // Within one invocation, so the VM's drift between invocations cancels out of it.
                double referenceRatio = (records / reference.seconds) / (records / passThrough.seconds);
                double cpuPerReference = lossMonitor.cpuSeconds / reference.cpuSeconds;
                System.out.printf(Locale.ROOT, "C=%d, every record repartitioned: ratio %.2f, %.0f joined events per"
                        + " CPU-second; the reference join's ratio %.2f; loss-monitor (default routing) used %.2f times"
                        + " the reference join's CPU%n",
                        classes, repartitionedRatio, repartitionedJoinedPerCpu, referenceRatio, cpuPerReference);
                results.add(String.format(Locale.ROOT, "C%d_repartitioned_ratio=%.2f C%d_repartitioned_joined_per_cpu_s=%.0f"
                        + " C%d_reference_join_ratio=%.2f C%d_cpu_per_reference_join=%.2f", classes, repartitionedRatio,
                        classes, repartitionedJoinedPerCpu, classes, referenceRatio, classes, cpuPerReference));
                Duration kept = restart(kafka, "lossmon-" + in, state, false,
                        () -> LossTopology.build(localFirst, new TopologySerdes(registry)));
                Duration wiped = restart(kafka, "lossmon-" + in, state, true,
                        () -> LossTopology.build(localFirst, new TopologySerdes(registry)));
                double[] bytes = stateBytes(kafka, registry, config, classes);
                System.out.printf(Locale.ROOT, "C=%d: ratio %.2f, %.0f joined events per CPU-second; restart to RUNNING:"
                                + " %.1f s with state kept, %.1f s wiped; a pending prediction holds %.0f bytes of state for a"
                                + " %.0f-byte payload (+%.0f)%n", classes, ratio, joinedPerCpu, kept.toMillis() / 1000.0,
                        wiped.toMillis() / 1000.0, bytes[0], bytes[1], bytes[0] - bytes[1]);
                results.add(String.format(Locale.ROOT, "C%d_ratio=%.2f C%d_joined_per_cpu_s=%.0f C%d_restart_kept_s=%.1f"
                                + " C%d_restart_wiped_s=%.1f C%d_state_overhead_bytes=%.0f C%d_alloc_bytes_per_record=%.0f"
                                + " C%d_reference_join_alloc_bytes_per_record=%.0f", classes, ratio, classes, joinedPerCpu,
                        classes, kept.toMillis() / 1000.0, classes, wiped.toMillis() / 1000.0, classes, bytes[0] - bytes[1],
                        classes, lossMonitor.allocatedBytes / records, classes, reference.allocatedBytes / records));
                Directories.delete(state);
            }
        }
        System.out.println("RESULT " + String.join(" ", results));
        System.exit(0);
    }

    /**
     * An experiment instead of the report: loss-monitor (its default routing, keyed inputs) with and without the properties given as
     * {@code -Dbench.variant.<property>=<value>}, alternating which runs first, beside the pass-through. A change is
     * judged by the variant's time and CPU as a fraction of the baseline's in the same round (the VM's pace drifts by
     * more than most changes between invocations, less within a round).
     */
    private static void compareVariant(EmbeddedKafka kafka, RegistryClient registry, TopologyConfig config, String in,
                                       long records, int rounds) throws Exception {
        List<String> inputs = List.of(config.predictionsTopic(), config.labelsTopic());
        TopologyConfig localFirst = config.withInputRouting(InputRouting.localFirst(2));
        Supplier<Topology> topology = () -> LossTopology.build(localFirst, new TopologySerdes(registry));
        System.out.println("variant: " + Benchmarks.variantOverrides());
        List<Double> timeRatios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        for (int round = -1; round < rounds; round++) {
            String r = round < 0 ? "-warm" : "-r" + round;
            Run passThrough = run(kafka, "passthrough-" + in + r, records, inputs,
                    () -> passThrough(config, in + "-passthrough", registry), null);
            boolean baseFirst = round % 2 == 0;
            Run first = run(kafka, "lossmon-" + in + r + (baseFirst ? "" : VARIANT), records, inputs, topology, null);
            Run second = run(kafka, "lossmon-" + in + r + (baseFirst ? VARIANT : ""), records, inputs, topology, null);
            Run base = baseFirst ? first : second;
            Run variant = baseFirst ? second : first;
            System.out.printf(Locale.ROOT, "round %d: pass-through %.1f s; baseline %.1f s, %.2f CPU-s (ratio %.3f);"
                            + " variant %.1f s, %.2f CPU-s (ratio %.3f); variant/baseline time %.3f, CPU %.3f%n", round,
                    passThrough.seconds, base.seconds, base.cpuSeconds, passThrough.seconds / base.seconds,
                    variant.seconds, variant.cpuSeconds, passThrough.seconds / variant.seconds,
                    variant.seconds / base.seconds, variant.cpuSeconds / base.cpuSeconds);
            if (round >= 0) {
                timeRatios.add(variant.seconds / base.seconds);
                cpuRatios.add(variant.cpuSeconds / base.cpuSeconds);
            }
        }
        System.out.printf(Locale.ROOT, "VARIANT %s time_ratios=%s cpu_ratios=%s%n", in, timeRatios.stream().sorted()
                .map(v -> String.format(Locale.ROOT, "%.3f", v)).toList(), cpuRatios.stream().sorted()
                .map(v -> String.format(Locale.ROOT, "%.3f", v)).toList());
    }

    /** The median of each measure over the rounds. */
    private static Run median(List<Run> runs) {
        java.util.function.ToDoubleFunction<java.util.function.ToDoubleFunction<Run>> of = f -> runs.stream()
                .mapToDouble(f).sorted().skip(runs.size() / 2).findFirst().orElseThrow();
        return new Run(of.applyAsDouble(Run::seconds), of.applyAsDouble(Run::cpuSeconds), of.applyAsDouble(Run::joined),
                of.applyAsDouble(Run::processCpuSeconds), of.applyAsDouble(Run::allocatedBytes));
    }

    /**
     * @param processCpuSeconds CPU of the whole process over the run: broker, registry and RocksDB's native threads too
     * @param allocatedBytes    heap allocated by the application's own threads; it moves less with the VM's pace than
     *                          time and CPU do (it still varies with the number of commits and with what the JIT's
     *                          escape analysis removes), so it helps compare versions measured in different hours
     */
    private record Run(double seconds, double cpuSeconds, double joined, double processCpuSeconds, double allocatedBytes) {
    }

    private static long preload(EmbeddedKafka kafka, RegistryClient registry, TopologyConfig config, int classes,
                                int predictions) throws Exception {
        // Event time an hour back, as in a real backlog. With the old fixed start (months back), every partition the
        // applications write under exactly-once rolled a log segment at its first transaction marker (stamped with the
        // wall clock, more than segment.ms after the records before it): index files created and resized inside the
        // marker write, the next transaction's first writes refused with CONCURRENT_TRANSACTIONS until it finished,
        // and loss-monitor, writing more partitions, paid that more often than the applications it is compared with.
        long start = (System.currentTimeMillis() - Duration.ofHours(1).toMillis()) / 60_000 * 60_000;
        TrafficConfig traffic = new TrafficConfig(17, List.of(ModelProfile.parse("m:multiclass:logits:" + classes)),
                predictions, 1000, start, Duration.ofSeconds(5), 0, 0, 0, 0, 0, 0, null);
        long records = 0;
        try (KafkaTrafficSink sink = new KafkaTrafficSink(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144),
                registry, config.predictionsTopic(), config.labelsTopic())) {
            Traffic t = new Traffic(traffic);
            while (t.hasNext()) {
                sink.accept(t.next());
                records++;
            }
        }
        return records;
    }

    /**
     * The least work a changelogged, exactly-once Kafka Streams join of these inputs does, for scale: the same sources
     * and deserializers as the pass-through, one persistent key-value store with its changelog (the same RocksDB
     * settings: it has loss-monitor's predictions store's name, so {@link io.lossmonitor.topology.BoundedRocksDb}
     * tunes it the same way), a prediction's duplicate check and write, a label's read of its prediction and write of
     * it marked applied (its first byte: a label applies once), and the label's record written out. None of loss-monitor's
     * validation, scoring, windows, accounting or expiry: loss-monitor's cost beyond this one is ours, this one's
     * beyond the pass-through is Kafka Streams' and RocksDB's for holding state.
     */
    private static Topology referenceJoin(TopologyConfig config, String output, RegistryClient registry) {
        TopologySerdes serdes = new TopologySerdes(registry);
        AvroDeserializer<PredictionEvent> predictions = serdes.predictions();
        var labels = serdes.labels();
        Topology topology = new Topology();
        var bytes = Serdes.ByteArray();
        topology.addSource("j-p-source", bytes.deserializer(), bytes.deserializer(), config.predictionsTopic());
        topology.addSource("j-l-source", bytes.deserializer(), bytes.deserializer(), config.labelsTopic());
        topology.addProcessor("j-join", () -> new Processor<byte[], byte[], byte[], byte[]>() {
            private ProcessorContext<byte[], byte[]> context;
            private KeyValueStore<Bytes, byte[]> store;

            @Override
            public void init(ProcessorContext<byte[], byte[]> context) {
                this.context = context;
                this.store = context.getStateStore(Names.PREDICTIONS_STORE);
            }

            @Override
            public void process(Record<byte[], byte[]> record) {
                Bytes key = Bytes.wrap(record.key());
                String topic = context.recordMetadata().orElseThrow().topic();
                if (topic.equals(config.predictionsTopic())) {
                    byte[] encoded = JoinCodecs.encode(predictions.deserialize(topic, record.value()));
                    if (store.get(key) == null) {
                        byte[] pending = new byte[encoded.length + 1];
                        System.arraycopy(encoded, 0, pending, 1, encoded.length);
                        store.put(key, pending);
                    }
                    return;
                }
                labels.deserialize(topic, record.value());
                byte[] stored = store.get(key);
                if (stored != null && stored[0] == 0) {
                    stored[0] = 1;
                    store.put(key, stored);
                    context.forward(record);
                }
            }
        }, "j-p-source", "j-l-source");
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.PREDICTIONS_STORE), Serdes.Bytes(),
                Serdes.ByteArray()), "j-join");
        topology.addSink("j-sink", output, bytes.serializer(), bytes.serializer(), "j-join");
        return topology;
    }

    private static Topology passThrough(TopologyConfig config, String output, RegistryClient registry) {
        StreamsBuilder builder = new StreamsBuilder();
        AvroDeserializer<PredictionEvent> predictions = new TopologySerdes(registry).predictions();
        builder.stream(config.predictionsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("p-source"))
                .mapValues(v -> JoinCodecs.encode(predictions.deserialize(config.predictionsTopic(), v)), Named.as("p-recode"))
                .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("p-sink"));
        var labels = new TopologySerdes(registry).labels();
        builder.stream(config.labelsTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("l-source"))
                .mapValues(v -> {
                    labels.deserialize(config.labelsTopic(), v);
                    return v;
                }, Named.as("l-decode"))
                .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("l-sink"));
        return builder.build();
    }

    private static Properties props(EmbeddedKafka kafka, String appId, Path state) throws Exception {
        Properties p = StreamsSettings.defaults(appId, kafka.bootstrapServers(), TopologyConfig.defaults());
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0);
        p.put(StreamsConfig.STATE_DIR_CONFIG, (state == null ? Directories.scratch(appId + "-") : state).toString());
        // Static membership, as the Helm chart sets it: a restarted instance takes its partitions back at once
        // instead of waiting out the old member's session.
        p.put(StreamsConfig.mainConsumerPrefix("group.instance.id"), appId + "-0");
        // Experiments: -Dbench.streams.<property>=<value>.
        p.putAll(Benchmarks.streamsOverrides());
        if (appId.endsWith(VARIANT)) {
            p.putAll(Benchmarks.variantOverrides());
        }
        return p;
    }

    /** Runs an application until its group has consumed everything it reads, internal topics included. */
    private static Run run(EmbeddedKafka kafka, String appId, long records, List<String> inputs, Supplier<Topology> topology,
                           Path state) throws Exception {
        // Timed from RUNNING: creating the internal topics and joining the group happen once per application, not
        // per record (they took loss-monitor ~2 s here, a fifth of a run of this size, and the pass-through none).
        // Each run starts from a settled process: without this pause the second of two like runs took up to a quarter
        // longer than the first (the run before leaves garbage on the heap; the broker may still be busy with its
        // logs: the cause was not pinned down, the pause removed the order effect).
        System.gc();
        Thread.sleep(2_000);
        long created = System.nanoTime();
        long[] atRunning = new long[4];
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        KafkaStreams streams = new KafkaStreams(topology.get(), props(kafka, appId, state));
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING && running.getCount() > 0) {
                atRunning[0] = System.nanoTime();
                atRunning[1] = cpu(appId);
                atRunning[2] = PROCESS.getProcessCpuTime();
                atRunning[3] = allocated(appId);
                running.countDown();
            }
        });
        streams.start();
        if (!running.await(5, TimeUnit.MINUTES)) {
            throw new IllegalStateException(appId + " did not reach RUNNING");
        }
        long start = atRunning[0];
        long cpuBefore = atRunning[1];
        long processBefore = atRunning[2];
        try (Admin admin = kafka.admin()) {
            while (!caughtUp(admin, appId, inputs)) {
                Thread.sleep(100);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (cpu(appId) - cpuBefore) / 1e9;
        double processCpuSeconds = (PROCESS.getProcessCpuTime() - processBefore) / 1e9;
        double allocatedBytes = allocated(appId) - atRunning[3];
        double joined = 0;
        if (appId.startsWith("lossmon")) {
            var store = streams.store(StoreQueryParameters.fromNameAndType(Names.JOIN_ACCOUNTING_STORE,
                    QueryableStoreTypes.<String, Long>keyValueStore()));
            try (var it = store.all()) {
                while (it.hasNext()) {
                    var e = it.next();
                    if (Accounting.parse(e.key)[2].equals(Accounting.JOINED)) {
                        joined += e.value;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "  %s: %.1f s to RUNNING, then %.1f s; stream thread blocked on Kafka %.1f s (of which producer flush %.1f s,"
                        + " transaction commit %.1f s, offsets to transaction %.1f s), commits %.0f; produced %.0f records, %.1f MB;"
                        + " allocated %.0f MB%n", appId, (start - created) / 1e9, seconds,
                metric(streams, "blocked-time-ns-total") / 1e9, metric(streams, "flush-time-ns-total") / 1e9,
                metric(streams, "txn-commit-time-ns-total") / 1e9, metric(streams, "txn-send-offsets-time-ns-total") / 1e9,
                metric(streams, "commit-total"), metric(streams, "record-send-total"),
                metric(streams, "outgoing-byte-total") / 1e6, allocatedBytes / 1e6);
        streams.close(Duration.ofSeconds(60));
        return new Run(seconds, cpuSeconds, joined, processCpuSeconds, allocatedBytes);
    }

    /** The sum of a cumulative metric over the client's threads and producers. */
    private static double metric(KafkaStreams streams, String name) {
        double sum = 0;
        for (var e : streams.metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getValue().metricValue() instanceof Number n
                    && (e.getKey().group().equals("stream-thread-metrics") || e.getKey().group().equals("producer-metrics"))) {
                sum += n.doubleValue();
            }
        }
        return sum;
    }

    private static boolean caughtUp(Admin admin, String group, List<String> inputs) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        List<TopicPartition> partitions = new ArrayList<>(committed.keySet());
        for (String topic : inputs) {
            for (int p = 0; p < 2; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                if (!committed.containsKey(tp)) {
                    return false;
                }
            }
        }
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                .get(30, TimeUnit.SECONDS);
        for (TopicPartition tp : partitions) {
            // Under exactly-once the last offset is a transaction marker: committed is end, or end minus that marker.
            if (committed.get(tp).offset() < ends.get(tp).offset() - 1) {
                return false;
            }
        }
        return true;
    }

    /** CPU time of the application's own threads (stream threads, its producers' and consumers' network threads). */
    private static long cpu(String appId) {
        return sumOverThreads(appId, THREADS::getThreadCpuTime);
    }

    /** Heap bytes allocated so far by the application's own threads (those alive now: they live as long as the client). */
    private static long allocated(String appId) {
        return sumOverThreads(appId, THREADS::getThreadAllocatedBytes);
    }

    /** The sum of a per-thread measure over the live threads whose name carries the application id (-1 counts 0). */
    private static long sumOverThreads(String appId, java.util.function.LongUnaryOperator ofThreadId) {
        long total = 0;
        for (var info : THREADS.dumpAllThreads(false, false)) {
            if (info.getThreadName().contains(appId)) {
                total += Math.max(0, ofThreadId.applyAsLong(info.getThreadId()));
            }
        }
        return total;
    }

    private static Duration restart(EmbeddedKafka kafka, String appId, Path state, boolean wipe, Supplier<Topology> topology)
            throws Exception {
        if (wipe) {
            Directories.delete(state);
            Files.createDirectories(state);
        }
        long start = System.nanoTime();
        KafkaStreams streams = new KafkaStreams(topology.get(), props(kafka, appId, state));
        streams.start();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            Thread.sleep(20);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        streams.close(Duration.ofSeconds(60));
        return elapsed;
    }

    /** Mean bytes of join state per pending prediction (store key + value + expiry index entry) and of its payload. */
    private static double[] stateBytes(EmbeddedKafka kafka, RegistryClient registry, TopologyConfig config, int classes)
            throws Exception {
        var serializer = new io.lossmonitor.registry.AvroSerializer<Prediction>(registry, false);
        var deserializer = new TopologySerdes(registry).predictions();
        Traffic traffic = new Traffic(new TrafficConfig(3, List.of(ModelProfile.parse("m:multiclass:logits:" + classes)),
                200, 100, 1_767_225_600_000L, Duration.ofSeconds(5), 1, 0, 0, 0, 0, 0, null));
        double state = 0;
        double payload = 0;
        int n = 0;
        while (traffic.hasNext()) {
            if (traffic.next() instanceof GeneratedRecord.PredictionRecord p) {
                byte[] bytes = serializer.serialize(config.predictionsTopic(), p.prediction());
                PredictionEvent e = deserializer.deserialize(config.predictionsTopic(), bytes);
                String key = JoinKeys.of(e.modelId(), e.predictionId());
                int keyBytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                int value = JoinCodecs.storedPrediction().serializer().serialize(null,
                        new io.lossmonitor.topology.join.StoredPrediction(e, 0, null, null)).length;
                state += keyBytes + value + 9 + keyBytes;
                payload += bytes.length;
                n++;
            }
        }
        return new double[] {state / n, payload / n};
    }

    private static void print(int classes, String app, long records, Run run) {
        System.out.printf(Locale.ROOT, "%-6d %-17s %10d %12.0f %10.2f %14.0f %14.2f %14.0f%n", classes, app, records,
                records / run.seconds, run.cpuSeconds, records / run.cpuSeconds, run.processCpuSeconds,
                run.allocatedBytes / records);
    }

}
