package io.lossmonitor.service;

import io.lossmonitor.http.HttpApi;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Health of the Kafka Streams client, from its state changes and thread deaths:
 * <ul>
 *   <li>ready: the client is RUNNING;</li>
 *   <li>live: the client is not in ERROR (or on its way there), no stream thread died, and it reached RUNNING at
 *       least once within the start-up grace: restoring state may take that long, but a client that never gets
 *       there is stuck and a restart is the cure.</li>
 * </ul>
 */
public final class StreamsHealth implements HttpApi.Health {

    private final long graceMs;
    private final LongSupplier clock;
    private final long startedAt;
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;
    private volatile boolean threadDied;
    private volatile boolean everRunning;

    public StreamsHealth(Duration startupGrace, LongSupplier clock) {
        this.graceMs = startupGrace.toMillis();
        this.clock = clock;
        this.startedAt = clock.getAsLong();
    }

    /** Called by the client's state listener. */
    public void onStateChange(KafkaStreams.State now) {
        state = now;
        everRunning |= now == KafkaStreams.State.RUNNING;
    }

    /** Called by the client's uncaught-exception handler. */
    public void onThreadDeath() {
        threadDied = true;
    }

    public KafkaStreams.State state() {
        return state;
    }

    @Override
    public boolean live() {
        if (threadDied || state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR) {
            return false;
        }
        return everRunning || clock.getAsLong() - startedAt <= graceMs;
    }

    @Override
    public boolean ready() {
        return !threadDied && state == KafkaStreams.State.RUNNING;
    }

    @Override
    public String describe() {
        String extra = threadDied ? " (a stream thread died)"
                : !everRunning && clock.getAsLong() - startedAt > graceMs ? " (not RUNNING within the start-up grace)"
                : !everRunning ? " (starting: restoring state)" : "";
        return "state=" + state + extra;
    }
}
