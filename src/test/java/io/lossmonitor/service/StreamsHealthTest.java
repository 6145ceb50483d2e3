package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

/** Health through the transitions a Kafka Streams client goes through, with a hand-driven clock. */
class StreamsHealthTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final StreamsHealth health = new StreamsHealth(Duration.ofMinutes(30), now::get);

    @Test
    void startingIsLiveButNotReadyUntilRunning() {
        assertThat(health.live()).isTrue();
        assertThat(health.ready()).isFalse();
        health.onStateChange(State.REBALANCING);
        now.addAndGet(Duration.ofMinutes(29).toMillis());
        assertThat(health.live()).isTrue();
        assertThat(health.ready()).isFalse();
        assertThat(health.describe()).contains("starting");
        health.onStateChange(State.RUNNING);
        assertThat(health.live()).isTrue();
        assertThat(health.ready()).isTrue();
    }

    @Test
    void aRebalanceAfterRunningIsLiveButNotReady() {
        health.onStateChange(State.RUNNING);
        now.addAndGet(Duration.ofHours(5).toMillis());
        health.onStateChange(State.REBALANCING);
        assertThat(health.live()).isTrue();
        assertThat(health.ready()).isFalse();
    }

    @Test
    void neverReachingRunningWithinTheGraceIsNotLive() {
        health.onStateChange(State.REBALANCING);
        now.addAndGet(Duration.ofMinutes(31).toMillis());
        assertThat(health.live()).isFalse();
        assertThat(health.describe()).contains("not RUNNING within the start-up grace");
    }

    @Test
    void errorOrADeadThreadIsNotLive() {
        health.onStateChange(State.RUNNING);
        health.onStateChange(State.PENDING_ERROR);
        assertThat(health.live()).isFalse();
        health.onStateChange(State.ERROR);
        assertThat(health.live()).isFalse();

        StreamsHealth other = new StreamsHealth(Duration.ofMinutes(30), now::get);
        other.onStateChange(State.RUNNING);
        other.onThreadDeath();
        assertThat(other.live()).isFalse();
        assertThat(other.ready()).isFalse();
        assertThat(other.describe()).contains("a stream thread died");
    }
}
