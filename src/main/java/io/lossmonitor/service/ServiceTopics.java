package io.lossmonitor.service;

import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ConfigException;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service checks about the topics it reads and writes before it builds the topology. Every configured topic
 * must exist: Kafka Streams would find a missing output topic only at the first record sent to it (a missing
 * dead-letter topic at the first bad record, days later perhaps), and then block the stream thread on the producer's
 * metadata until the thread dies; a broker that creates topics on demand would create it without the compaction the
 * windows topic needs. The output topics that carry event-sized records, and such internal topics as exist already,
 * must take the largest record an accepted event can produce ({@link TopologyConfig#maxRecordBytes()}), for a record
 * over a topic's {@code max.message.bytes} fails its transaction and stops the stream thread. The inputs' partition counts decide the topology's
 * {@link InputRouting}.
 */
final class ServiceTopics {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTopics.class);
    private static final long TIMEOUT_S = 60;
    /** How long a topic the cluster does not know is looked for again before it counts as missing. */
    private static final long CREATION_GRACE_MS = 5_000;

    private ServiceTopics() {
    }

    /**
     * Checks every topic of {@code topology} on the cluster and returns the routing for its inputs.
     *
     * @throws ConfigException naming each missing topic, each output or existing internal topic too small for the
     *     service's records, each existing internal topic partitioned for other inputs, or the routing's own problem
     *     (see {@link #routing(TopologyConfig, int, int, boolean)}); also when the cluster cannot be asked
     * @throws KafkaException when the cluster refuses the credentials or the TLS handshake
     */
    static InputRouting check(Properties streamsProperties, TopologyConfig topology, boolean keyed) {
        StreamsConfig streams = new StreamsConfig(streamsProperties);
        Map<String, Object> adminConfigs = streams.getAdminConfigs("loss-monitor-startup");
        Map<AppSetting, String> topics = topics(topology);
        Set<String> names = new LinkedHashSet<>(topics.values());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        List<String> problems = new ArrayList<>();
        try (Admin admin = Admin.create(adminConfigs)) {
            Map<String, TopicDescription> described = existing(admin, names, deadline, CREATION_GRACE_MS);
            for (Map.Entry<AppSetting, String> topic : topics.entrySet()) {
                if (!described.containsKey(topic.getValue())) {
                    problems.add(topic.getKey().key() + ": topic '" + topic.getValue() + "' does not exist (the"
                            + " service " + (isInput(topic.getKey()) ? "reads" : "writes") + " it; create it first)");
                }
            }
            Map<String, Config> configs = configs(admin, List.of(topology.modelsTopic(), topology.scoredEventsTopic(),
                    topology.lateLabelsTopic(), topology.deadLetterTopic(), topology.lossWindowsTopic()), deadline);
            problems.addAll(sizeProblems(topology, maxMessageBytes(configs)));
            String applicationId = streams.getString(StreamsConfig.APPLICATION_ID_CONFIG);
            // Those that exist: a first start has none, and Kafka Streams creates them as they should be.
            Map<String, TopicDescription> internal = existing(admin, internalTopics(applicationId), deadline, 0);
            problems.addAll(internalSizeProblems(topology, maxMessageBytes(configs(admin, internal.keySet(), deadline))));
            InputRouting routing = null;
            if (problems.isEmpty()) {
                int predictions = described.get(topology.predictionsTopic()).partitions().size();
                int labels = described.get(topology.labelsTopic()).partitions().size();
                routing = routing(topology, predictions, labels, keyed);
                Map<String, Integer> partitions = new HashMap<>();
                internal.forEach((topic, description) -> partitions.put(topic, description.partitions().size()));
                problems.addAll(partitionProblems(applicationId, topology, routing, Math.max(predictions, labels),
                        partitions));
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            warnIfNotCompacted(topology, configs);
            return routing;
        }
    }

    /**
     * The existing internal topics (see {@link #internalTopics}) whose partition count is not the one the topology
     * now needs: the inputs' partition count changed (or {@code partitions}) since they were created. Kafka Streams
     * cannot move state between partitions: it finds the mismatch while computing the assignment, and the stream
     * thread doing that dies, and its replacements, and a restarted instance fails the same way.
     *
     * @param inputPartitions the larger of the inputs' partition counts: the number of intake tasks
     * @param existing the partition count of each existing internal topic
     */
    static List<String> partitionProblems(String applicationId, TopologyConfig topology, InputRouting routing,
                                          int inputPartitions, Map<String, Integer> existing) {
        // The join runs as many tasks as the join-input topic has partitions: the setting, if routing by it, else,
        // as Kafka Streams sizes a repartition topic, the largest of its upstream sources.
        int join = routing.mode() == InputRouting.Mode.REPARTITION && topology.partitions() > 0 ? topology.partitions()
                : inputPartitions;
        Map<String, Integer> expected = new TreeMap<>();
        expected.put(changelog(applicationId, Names.PREDICTIONS_STORE), join);
        expected.put(changelog(applicationId, Names.EARLY_LABELS_STORE), join);
        expected.put(changelog(applicationId, Names.APPLIED_LABELS_STORE), join);
        expected.put(changelog(applicationId, Names.AWAITING_SCHEMA_STORE), inputPartitions);
        expected.put(repartition(applicationId, Names.JOIN_INPUT), join);
        List<String> problems = new ArrayList<>();
        expected.forEach((topic, partitions) -> {
            Integer actual = existing.get(topic);
            if (actual != null && !actual.equals(partitions)) {
                problems.add("internal topic '" + topic + "' has " + actual + " partitions, but with the inputs' "
                        + inputPartitions + " partitions (and " + AppSetting.PARTITIONS.key() + " " + topology.partitions()
                        + ") the application needs " + partitions + ": its state is partitioned for the earlier count"
                        + " and Kafka Streams cannot move it. Restore the earlier partition count, or reset the"
                        + " application (kafka-streams-application-reset --application-id " + applicationId
                        + " --input-topics ..., which deletes its internal topics; then delete the state directories)"
                        + " or start it under a new application-id: either way its windows and totals begin empty");
            }
        });
        return problems;
    }

    /**
     * The descriptions of those of {@code topics} that exist. A topic the cluster does not know is asked for again
     * until {@code graceMs} has passed: one created a moment ago (by a deployment's topic job, or the demo) may not
     * be in the answering broker's metadata yet.
     */
    private static Map<String, TopicDescription> existing(Admin admin, Collection<String> topics, long deadline,
                                                          long graceMs) {
        Map<String, TopicDescription> described = new HashMap<>();
        Set<String> unknown = new LinkedHashSet<>(topics);
        long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        while (true) {
            Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(unknown).topicNameValues();
            for (String topic : List.copyOf(unknown)) {
                try {
                    described.put(topic, await(futures.get(topic), deadline, topics));
                    unknown.remove(topic);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw failure(e, topics);
                    }
                }
            }
            if (unknown.isEmpty() || System.nanoTime() >= graceEnd) {
                return described;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConfigException(List.of("interrupted while describing " + topics));
            }
        }
    }

    /** The topics of {@code topology} by the setting that names each, inputs first. */
    static Map<AppSetting, String> topics(TopologyConfig topology) {
        Map<AppSetting, String> topics = new LinkedHashMap<>();
        topics.put(AppSetting.PREDICTIONS_TOPIC, topology.predictionsTopic());
        topics.put(AppSetting.LABELS_TOPIC, topology.labelsTopic());
        topics.put(AppSetting.MODELS_TOPIC, topology.modelsTopic());
        topics.put(AppSetting.SCORED_EVENTS_TOPIC, topology.scoredEventsTopic());
        topics.put(AppSetting.LATE_LABELS_TOPIC, topology.lateLabelsTopic());
        topics.put(AppSetting.DEAD_LETTERS_TOPIC, topology.deadLetterTopic());
        topics.put(AppSetting.LOSS_WINDOWS_TOPIC, topology.lossWindowsTopic());
        return topics;
    }

    private static boolean isInput(AppSetting topic) {
        return topic == AppSetting.PREDICTIONS_TOPIC || topic == AppSetting.LABELS_TOPIC || topic == AppSetting.MODELS_TOPIC;
    }

    /**
     * The output topics whose {@code max.message.bytes} is below the largest record the service may write to them:
     * the scored events, dead letters and late labels carry an event (a dead letter or a late label the input record
     * as it came); a window update is a few numbers per model, version and class, and is not checked.
     *
     * @param maxMessageBytes each topic's effective {@code max.message.bytes}; a topic not in it is not checked
     */
    static List<String> sizeProblems(TopologyConfig topology, Map<String, Long> maxMessageBytes) {
        Map<AppSetting, String> eventSized = new LinkedHashMap<>();
        eventSized.put(AppSetting.SCORED_EVENTS_TOPIC, topology.scoredEventsTopic());
        eventSized.put(AppSetting.DEAD_LETTERS_TOPIC, topology.deadLetterTopic());
        eventSized.put(AppSetting.LATE_LABELS_TOPIC, topology.lateLabelsTopic());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<AppSetting, String> topic : eventSized.entrySet()) {
            Long limit = maxMessageBytes.get(topic.getValue());
            if (limit != null && limit < topology.maxRecordBytes()) {
                problems.add(topic.getKey().key() + ": topic '" + topic.getValue() + "' takes records of up to " + limit
                        + " bytes (max.message.bytes), but with " + AppSetting.MAX_SCORES.key() + " "
                        + topology.maxScores() + " the service may write records of up to " + topology.maxRecordBytes()
                        + " bytes to it: raise the topic's max.message.bytes to at least that, or lower "
                        + AppSetting.MAX_SCORES.key());
            }
        }
        return problems;
    }

    /**
     * The internal topics that carry event-sized records (the changelogs of the stores that hold predictions and
     * labels, and the join-input repartition topic), as Kafka Streams names them. Kafka Streams creates them with
     * {@code topic.max.message.bytes}, but one created before {@code max-scores} was raised keeps its old limit.
     */
    static List<String> internalTopics(String applicationId) {
        return List.of(changelog(applicationId, Names.PREDICTIONS_STORE), changelog(applicationId, Names.EARLY_LABELS_STORE),
                changelog(applicationId, Names.APPLIED_LABELS_STORE), changelog(applicationId, Names.AWAITING_SCHEMA_STORE),
                repartition(applicationId, Names.JOIN_INPUT));
    }

    private static String changelog(String applicationId, String store) {
        return applicationId + "-" + store + "-changelog";
    }

    private static String repartition(String applicationId, String name) {
        return applicationId + "-" + name + "-repartition";
    }

    /**
     * The existing internal topics (see {@link #internalTopics}) whose {@code max.message.bytes} is below the
     * largest record the service may write to them.
     *
     * @param maxMessageBytes each existing internal topic's effective {@code max.message.bytes}
     */
    static List<String> internalSizeProblems(TopologyConfig topology, Map<String, Long> maxMessageBytes) {
        List<String> problems = new ArrayList<>();
        new TreeMap<>(maxMessageBytes).forEach((topic, limit) -> {
            if (limit < topology.maxRecordBytes()) {
                problems.add("internal topic '" + topic + "' takes records of up to " + limit + " bytes"
                        + " (max.message.bytes), but with " + AppSetting.MAX_SCORES.key() + " " + topology.maxScores()
                        + " the service may write records of up to " + topology.maxRecordBytes() + " bytes to it (it"
                        + " was created before " + AppSetting.MAX_SCORES.key() + " was raised, or with a smaller"
                        + " limit): raise its max.message.bytes to at least that (kafka-configs --alter --entity-type"
                        + " topics --entity-name " + topic + " --add-config max.message.bytes="
                        + topology.maxRecordBytes() + "), or lower " + AppSetting.MAX_SCORES.key());
            }
        });
        return problems;
    }

    /**
     * The configurations of those of {@code topics} that exist; a topic the cluster does not let the service read
     * is left out with a warning.
     */
    private static Map<String, Config> configs(Admin admin, Collection<String> topics, long deadline) {
        Set<String> names = new LinkedHashSet<>(topics);
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<String, Config> configs = new HashMap<>();
        Map<ConfigResource, KafkaFuture<Config>> futures = admin.describeConfigs(resources).values();
        for (ConfigResource resource : resources) {
            try {
                configs.put(resource.name(), await(futures.get(resource), deadline, names));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    continue;
                }
                if (!(e.getCause() instanceof AuthorizationException)) {
                    throw failure(e, names);
                }
                // A principal allowed to write a topic need not be allowed to describe its configuration: the
                // check is a courtesy, and the stream reports a record too large when it happens.
                LOG.warn("not allowed to read the configuration of topic '{}' ({}): its max.message.bytes and"
                        + " cleanup.policy are not checked", resource.name(), e.getCause().getMessage());
            }
        }
        return configs;
    }

    private static Map<String, Long> maxMessageBytes(Map<String, Config> configs) {
        Map<String, Long> limits = new HashMap<>();
        configs.forEach((topic, config) -> {
            ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                limits.put(topic, Long.parseLong(entry.value()));
            }
        });
        return limits;
    }

    /**
     * A models or windows topic that is not compacted still works, but grows without bound and, once retention
     * deletes old records, loses the latest spec or window of a quiet model: worth a warning, not a refusal.
     */
    private static void warnIfNotCompacted(TopologyConfig topology, Map<String, Config> configs) {
        for (String topic : List.of(topology.modelsTopic(), topology.lossWindowsTopic())) {
            Config config = configs.get(topic);
            ConfigEntry policy = config == null ? null : config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy != null && !compacted(policy.value())) {
                LOG.warn("topic '{}' has cleanup.policy={}, not compact: its records expire with the retention, and"
                        + " with them the latest value of a key that has not changed since", topic, policy.value());
            }
        }
    }

    static boolean compacted(String cleanupPolicy) {
        return cleanupPolicy != null && List.of(cleanupPolicy.replace(" ", "").split(","))
                .contains(TopicConfig.CLEANUP_POLICY_COMPACT);
    }

    private static <T> T await(KafkaFuture<T> future, long deadline, Collection<String> topics) throws ExecutionException {
        try {
            return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ConfigException(List.of("loss-monitor describes its topics " + topics + " at start-up, but the"
                    + " cluster did not answer within " + TIMEOUT_S + " s"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while describing " + topics));
        }
    }

    private static RuntimeException failure(ExecutionException e, Collection<String> topics) {
        String why = "loss-monitor describes its topics " + topics + " at start-up";
        if (e.getCause() instanceof AuthenticationException refused) {
            // Not a configuration mistake the service can name: the start fails on the broker's refusal itself.
            return new KafkaException(why + ", but the cluster refused the connection: " + refused.getMessage(), refused);
        }
        return new ConfigException(List.of(why + ": " + e.getCause().getMessage()));
    }

    /**
     * How the inputs reach the join. A prediction and its label meet where they are only if the same partitioner
     * spread both topics over the same number of partitions, so the partition counts decide: the same count gives
     * {@link InputRouting.Mode#LOCAL_FIRST} (records already in their prediction id's partition are joined there, the
     * rest repartitioned), different counts, or a {@code partitions} setting for the join-input topic that differs
     * from them, {@link InputRouting.Mode#REPARTITION}; {@code keyed} ({@link AppSetting#INPUTS_KEYED_BY_PREDICTION_ID})
     * gives {@link InputRouting.Mode#KEYED} and requires the same count.
     *
     * @throws ConfigException when {@code keyed} is set and the counts differ
     */
    static InputRouting routing(TopologyConfig topology, int predictions, int labels, boolean keyed) {
        if (predictions != labels) {
            if (keyed) {
                throw new ConfigException(List.of(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID.key() + " needs "
                        + topology.predictionsTopic() + " and " + topology.labelsTopic() + " to have the same number of"
                        + " partitions, but they have " + predictions + " and " + labels
                        + " (set it to false to have the service repartition them)"));
            }
            LOG.info("{} and {} have {} and {} partitions: every input record is repartitioned to its join task",
                    topology.predictionsTopic(), topology.labelsTopic(), predictions, labels);
            return InputRouting.repartition();
        }
        if (keyed) {
            return InputRouting.keyed(predictions);
        }
        if (topology.partitions() > 0 && topology.partitions() != predictions) {
            LOG.info("{} is {}, not the inputs' {} partitions: every input record is repartitioned to its join task",
                    AppSetting.PARTITIONS.key(), topology.partitions(), predictions);
            return InputRouting.repartition();
        }
        return InputRouting.localFirst(predictions);
    }
}
