package io.lossmonitor.service;

import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ConfigException;
import io.lossmonitor.topology.InputRouting;
import io.lossmonitor.topology.TopologyConfig;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the service checks about its input topics before it builds the topology. */
final class InputTopics {

    private static final Logger LOG = LoggerFactory.getLogger(InputTopics.class);
    private static final long TIMEOUT_S = 60;

    private InputTopics() {
    }

    /**
     * How the inputs reach the join. A prediction and its label meet where they are only if the same partitioner
     * spread both topics over the same number of partitions, so the partition counts decide: the same count gives
     * {@link InputRouting.Mode#LOCAL_FIRST} (records already in their prediction id's partition are joined there, the
     * rest repartitioned), different counts, or a {@code partitions} setting for the join-input topic that differs
     * from them, {@link InputRouting.Mode#REPARTITION}; {@code keyed} ({@link AppSetting#INPUTS_KEYED_BY_PREDICTION_ID})
     * gives {@link InputRouting.Mode#KEYED} and requires the same count.
     *
     * @throws ConfigException when a topic is missing, the cluster cannot be asked, or {@code keyed} is set and the
     *     counts differ
     * @throws KafkaException when the cluster refuses the credentials or the TLS handshake
     */
    static InputRouting routing(Properties streamsProperties, TopologyConfig topology, boolean keyed) {
        Map<String, Object> admin = new StreamsConfig(streamsProperties).getAdminConfigs("loss-monitor-startup");
        List<String> topics = List.of(topology.predictionsTopic(), topology.labelsTopic());
        String why = keyed ? AppSetting.INPUTS_KEYED_BY_PREDICTION_ID.key() + " needs the partition counts of " + topics
                : "loss-monitor routes its inputs by the partition counts of " + topics + ", read at start-up";
        Map<String, TopicDescription> described;
        try (Admin client = Admin.create(admin)) {
            described = client.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException refused) {
                // Not a configuration mistake the service can name: the start fails on the broker's refusal itself.
                throw new KafkaException(why + ", but the cluster refused the connection: " + refused.getMessage(), refused);
            }
            throw new ConfigException(List.of(why + ": " + e.getCause().getMessage()));
        } catch (TimeoutException e) {
            throw new ConfigException(List.of(why + ", but the cluster did not answer within " + TIMEOUT_S + " s"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while describing " + topics));
        }
        return routing(topology, described.get(topology.predictionsTopic()).partitions().size(),
                described.get(topology.labelsTopic()).partitions().size(), keyed);
    }

    /** The routing for input topics with {@code predictions} and {@code labels} partitions (see above). */
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
