package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.fixtures.RegistryProxy;
import io.lossmonitor.fixtures.SharedRegistry;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.registry.RegistryConfig;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Event time is the payload's, also for the first records of a schema id the service has not seen, and a record
 * whose payload time cannot be read keeps its partition's time: records of three weeks ago produced now (a backfill)
 * must not move stream time to now.
 */
class PayloadTimestampExtractorTest {

    private static final long PREDICTED = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    private static final long PRODUCED = Instant.parse("2026-11-24T06:00:00Z").toEpochMilli();

    private RegistryProxy proxy;
    private final AtomicLong now = new AtomicLong(PRODUCED);

    @BeforeEach
    void start() throws Exception {
        proxy = new RegistryProxy(SharedRegistry.get().url());
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private PayloadTimestampExtractor extractor(boolean predictions) {
        RegistryClient cold = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, proxy.url(),
                RegistryConfig.MAX_RETRIES, 3, RegistryConfig.RETRIES_WAIT_MS, 1000)));
        return new PayloadTimestampExtractor(cold, predictions, Duration.ofHours(1).toMillis(), now::get);
    }

    private static ConsumerRecord<Object, Object> record(byte[] value) {
        return new ConsumerRecord<>("t", 0, 0, PRODUCED, TimestampType.CREATE_TIME, 0, value.length, null, value,
                new RecordHeaders(), Optional.empty());
    }

    private static byte[] prediction(String subjectSuffix) {
        RegistryClient writer = new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL,
                SharedRegistry.get().url())));
        return new AvroSerializer<Prediction>(writer, false).serialize("backfill-" + subjectSuffix,
                Prediction.newBuilder().setPredictionId("p").setModelId("m").setModelVersion("v1")
                        .setTimestamp(Instant.ofEpochMilli(PREDICTED)).setTask(Task.BINARY)
                        .setOutput(OutputKind.LOGITS).setScores(List.of(0.5)).build());
    }

    @Test
    void anUnseenSchemaIsFetchedOnceAndThePayloadTimeUsed() {
        byte[] value = prediction(UUID.randomUUID().toString());
        PayloadTimestampExtractor extractor = extractor(true);
        assertThat(extractor.extract(record(value), -1)).isEqualTo(PREDICTED);
        assertThat(proxy.requests()).isEqualTo(1);
        assertThat(extractor.extract(record(value), PREDICTED)).isEqualTo(PREDICTED);
        assertThat(proxy.requests()).isEqualTo(1);
    }

    @Test
    void anUnreadableRecordKeepsItsPartitionsTime() {
        byte[] garbage = {0x13, 0x37, 0x00, 0x42, 0x11};
        PayloadTimestampExtractor extractor = extractor(true);
        assertThat(extractor.extract(record(garbage), PREDICTED)).isEqualTo(PREDICTED);
        // Only the first record of a partition, which has no time yet, keeps its own.
        assertThat(extractor.extract(record(garbage), -1)).isEqualTo(PRODUCED);
        assertThat(proxy.requests()).isZero();
    }

    @Test
    void whileTheRegistryIsDownThePartitionTimeIsUsedAndTheRegistryAskedOnlyAfterAPause() {
        byte[] value = new AvroSerializer<Label>(new RegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL,
                SharedRegistry.get().url()))), false).serialize("backfill-labels-" + UUID.randomUUID(),
                Label.newBuilder().setPredictionId("p").setModelId("m").setTimestamp(Instant.ofEpochMilli(PREDICTED))
                        .setTarget(1).build());
        PayloadTimestampExtractor extractor = extractor(false);
        proxy.setUp(false);
        // One round over the URLs, no retries (their waits would hold the stream thread).
        assertThat(extractor.extract(record(value), -1)).isEqualTo(PRODUCED);
        assertThat(proxy.requests()).isEqualTo(1);
        now.addAndGet(PayloadTimestampExtractor.REGISTRY_RETRY.toMillis() - 1);
        assertThat(extractor.extract(record(value), PRODUCED)).isEqualTo(PRODUCED);
        assertThat(proxy.requests()).isEqualTo(1);

        // In a partition whose time the payloads set (a backfill), that time, not the producer's clock.
        assertThat(extractor.extract(record(value), PREDICTED + 5)).isEqualTo(PREDICTED + 5);

        proxy.setUp(true);
        now.addAndGet(1);
        assertThat(extractor.extract(record(value), PRODUCED)).isEqualTo(PREDICTED);
        assertThat(proxy.requests()).isEqualTo(2);
    }
}
