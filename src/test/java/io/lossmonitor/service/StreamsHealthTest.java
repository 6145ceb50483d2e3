package io.lossmonitor.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
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
    void threadDeathsSpreadOverTimeAreEachReplaced() {
        health.onStateChange(State.RUNNING);
        for (int i = 0; i < 2 * StreamsHealth.MAX_REPLACEMENTS; i++) {
            assertThat(health.onThreadDeath()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            // One death every four minutes: never more than three within ten minutes.
            now.addAndGet(Duration.ofMinutes(4).toMillis());
        }
        assertThat(health.live()).isTrue();
        assertThat(health.recentReplacements()).isEqualTo(3);
        // Then two at once: the first joins the window's last two (three within ten minutes), the second is one too many.
        assertThat(health.onThreadDeath()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(health.onThreadDeath()).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        assertThat(health.live()).isFalse();
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
        for (int i = 0; i < StreamsHealth.MAX_REPLACEMENTS; i++) {
            assertThat(other.onThreadDeath()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            assertThat(other.live()).as("a replaced thread keeps the client live").isTrue();
        }
        assertThat(other.onThreadDeath()).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        assertThat(other.live()).isFalse();
        assertThat(other.ready()).isFalse();
        assertThat(other.describe()).contains("a stream thread died");
    }
}
