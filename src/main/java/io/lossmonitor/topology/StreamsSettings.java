package io.lossmonitor.topology;

import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/**
 * Opinionated production defaults for the Kafka Streams client; configuration may override any of them.
 * <ul>
 *   <li>exactly_once_v2: every count and window is exact across crashes (the accounting depends on it);</li>
 *   <li>explicit names for every internal topic and store, enforced at start-up;</li>
 *   <li>anything that still fails in a processor goes to the dead-letter topic (KIP-1034) instead of stopping the
 *       stream; our own processors dead-letter what they can explain first. That handler also covers the global
 *       thread, which reads the {@code models} topic (Kafka Streams 5.0's default; 4.3 stops the instance on an
 *       exception there). The global store keeps the specs as bytes, so nothing of ours can fail in that thread;</li>
 *   <li>{@code task.timeout.ms} of one day: a broker outage shorter than that stalls the tasks instead of killing
 *       the stream threads (a registry outage never reaches Kafka Streams: the intake sets such records aside);</li>
 *   <li>replication factor 3 and one standby replica for internal topics and state;</li>
 *   <li>producer {@code linger.ms} 5 instead of Kafka Streams' 100: a label crosses two internal topics before it
 *       is scored, and at moderate rates each hop would wait out the linger (the label-to-score latency benchmark
 *       measured p50 117 ms at-least-once with 100); under load, batches fill before the linger ends anyway;</li>
 *   <li>producer {@code batch.size} 128 KB instead of 16 KB, with {@code buffer.memory} 64 MB instead of 32: the
 *       changelogs of the join's stores take about a kilobyte per record at 100 classes, and 16 KB batches filled
 *       within the linger, so each was its own request; the end-to-end benchmark measured about a quarter less CPU per
 *       joined event in back-to-back runs (64 KB: less). A batch takes its full size from the producer's buffer while open, so
 *       the buffer is doubled to keep room for ~500 partitions with open batches per stream thread;</li>
 *   <li>RocksDB memory bounded by one shared cache ({@link BoundedRocksDb}).</li>
 * </ul>
 */
public final class StreamsSettings {

    private StreamsSettings() {
    }

    @SuppressWarnings("deprecation") // PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG: until 5.0 makes it the default
    public static Properties defaults(String applicationId, String bootstrapServers, TopologyConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLetterTopic());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Kafka Streams 4.3 configures its partition assignor from the main consumer's settings, which leave this one
        // out, and then warns at every start that the handler is not enabled for the global thread although it is;
        // handed to the main consumer too, it reaches the assignor (the consumer ignores it).
        p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        p.put(StreamsConfig.TASK_TIMEOUT_MS_CONFIG, 24L * 3600 * 1000);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 128 * 1024);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 64L * 1024 * 1024);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDb.class);
        return p;
    }
}
