package io.lossmonitor.service;

import io.lossmonitor.http.HttpApi;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * Health of the Kafka Streams client, from its state changes and thread deaths:
 * <ul>
 *   <li>ready: the client is RUNNING;</li>
 *   <li>live: the client is not in ERROR (or on its way there), no stream thread died beyond the replacements
 *       allowed, and it reached RUNNING at least once within the start-up grace: restoring state may take that
 *       long, but a client that never gets there is stuck and a restart is the cure.</li>
 * </ul>
 */
public final class StreamsHealth implements HttpApi.Health {

    private final long graceMs;
    private final LongSupplier clock;
    private final long startedAt;
    private volatile KafkaStreams.State state = KafkaStreams.State.CREATED;
    private volatile boolean threadDied;
    private volatile boolean everRunning;
    private final java.util.ArrayDeque<Long> replacements = new java.util.ArrayDeque<>();

    public static final int MAX_REPLACEMENTS = 3;
    public static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(10);

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

    /**
     * Called by the client's uncaught-exception handler: whether to replace the dead stream thread or shut the client
     * down (and so fail {@link #live()}, for the orchestrator to restart the process). A thread is replaced up to
     * {@link #MAX_REPLACEMENTS} times within {@link #REPLACEMENT_WINDOW}: a replaced thread's tasks are closed and
     * rebuilt from their changelogs, which cures what a restart would (Kafka Streams 4.3.1 kills a thread with
     * InvalidStateStoreException when a window segment fails to open after an unclean stop: KAFKA-20808, seen in the
     * soak), without the restart; an error that keeps coming back within the window is left to the restart.
     */
    public synchronized StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onThreadDeath() {
        long now = clock.getAsLong();
        while (!replacements.isEmpty() && now - replacements.peekFirst() >= REPLACEMENT_WINDOW.toMillis()) {
            replacements.pollFirst();
        }
        if (!threadDied && replacements.size() < MAX_REPLACEMENTS) {
            replacements.addLast(now);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        threadDied = true;
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /** Stream threads replaced within the current window. */
    public synchronized int recentReplacements() {
        return replacements.size();
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
