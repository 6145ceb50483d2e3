package io.lossmonitor.generator;

import io.lossmonitor.generator.GeneratedRecord.LabelRecord;
import io.lossmonitor.generator.GeneratedRecord.PredictionRecord;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes predictions and labels as Avro in the Confluent wire format, keyed by prediction id, with the record
 * timestamp set to the arrival time. The producer is idempotent with {@code acks=all}; a failed send fails the
 * run at the next record or at close.
 */
public final class KafkaTrafficSink implements TrafficSink {

    private final KafkaProducer<String, SpecificRecord> producer;
    private final String predictionsTopic;
    private final String labelsTopic;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private long sent;

    public KafkaTrafficSink(Map<String, Object> producerConfig, RegistryClient registry, String predictionsTopic,
                            String labelsTopic) {
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new AvroSerializer<>(registry, false));
        this.predictionsTopic = predictionsTopic;
        this.labelsTopic = labelsTopic;
    }

    @Override
    public void accept(GeneratedRecord record) throws IOException {
        rethrow();
        ProducerRecord<String, SpecificRecord> out = switch (record) {
            case PredictionRecord p -> new ProducerRecord<>(predictionsTopic, null, record.arrivalMs(),
                    p.prediction().getPredictionId(), p.prediction());
            case LabelRecord l -> new ProducerRecord<>(labelsTopic, null, record.arrivalMs(),
                    l.label().getPredictionId(), l.label());
        };
        producer.send(out, (metadata, e) -> {
            if (e != null) {
                failure.compareAndSet(null, e);
            }
        });
        sent++;
    }

    public long sent() {
        return sent;
    }

    @Override
    public void close() throws IOException {
        try {
            producer.flush();
        } finally {
            producer.close();
        }
        rethrow();
    }

    private void rethrow() throws IOException {
        Exception e = failure.get();
        if (e != null) {
            throw new IOException("sending to Kafka failed: " + e.getMessage(), e);
        }
    }
}
