package io.lossmonitor.service;

import io.lossmonitor.config.AppSetting;
import io.lossmonitor.config.ConfigException;
import io.lossmonitor.topology.TopologyConfig;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.StreamsConfig;

/** What the service checks about its input topics before it builds the topology. */
final class InputTopics {

    private static final long TIMEOUT_S = 60;

    private InputTopics() {
    }

    /**
     * The partition count the predictions and labels topics share, for reading them without a repartition: a
     * prediction and its label meet only if the same partitioner spread both topics over the same number of
     * partitions.
     *
     * @throws ConfigException when a topic is missing, the counts differ, or the cluster cannot be asked
     */
    static int commonPartitionCount(Properties streamsProperties, TopologyConfig topology) {
        Map<String, Object> admin = new StreamsConfig(streamsProperties).getAdminConfigs("loss-monitor-startup");
        List<String> topics = List.of(topology.predictionsTopic(), topology.labelsTopic());
        Map<String, TopicDescription> described;
        try (Admin client = Admin.create(admin)) {
            described = client.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new ConfigException(List.of(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID.key()
                    + " needs the partition counts of " + topics + ": " + e.getCause().getMessage()));
        } catch (TimeoutException e) {
            throw new ConfigException(List.of(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID.key() + " needs the partition"
                    + " counts of " + topics + ", but the cluster did not answer within " + TIMEOUT_S + " s"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException(List.of("interrupted while describing " + topics));
        }
        int predictions = described.get(topology.predictionsTopic()).partitions().size();
        int labels = described.get(topology.labelsTopic()).partitions().size();
        if (predictions != labels) {
            throw new ConfigException(List.of(AppSetting.INPUTS_KEYED_BY_PREDICTION_ID.key() + " needs "
                    + topology.predictionsTopic() + " and " + topology.labelsTopic() + " to have the same number of"
                    + " partitions, but they have " + predictions + " and " + labels
                    + " (set it to false to have the service repartition them)"));
        }
        return predictions;
    }
}
