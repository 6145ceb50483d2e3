package io.lossmonitor.topology.join;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Per-model counts of what happened to every input record, kept in a changelogged store so that they are exact
 * under exactly-once processing and survive restarts. Summed over all tasks they satisfy:
 * <pre>
 *   predictions = scored + expired + pending + invalid + duplicate + awaiting_schema
 *   labels      = joined + corrected + early_pending + late + invalid + duplicate + awaiting_schema
 * </pre>
 * {@code pending}, {@code early_pending} and {@code awaiting_schema} (records set aside at intake until the registry
 * answers, counted under the unknown model) are gauges (current holdings); the rest only grow. {@code early} counts
 * labels that had to wait for their prediction (they end up joined or late).
 */
public final class Accounting {

    public static final String PREDICTIONS = "predictions";
    public static final String LABELS = "labels";

    public static final String SCORED = "scored";
    public static final String EXPIRED = "expired";
    public static final String PENDING = "pending";
    public static final String INVALID = "invalid";
    public static final String DUPLICATE = "duplicate";
    public static final String JOINED = "joined";
    public static final String CORRECTED = "corrected";
    public static final String EARLY = "early";
    /** Pending predictions expired early because the task held its maximum (also counted as expired). */
    public static final String EVICTED = "evicted";
    public static final String EARLY_PENDING = "early_pending";
    public static final String LATE = "late";
    public static final String AWAITING_SCHEMA = "awaiting_schema";

    /** Upper bounds (seconds) of the label-delay histogram buckets; the last bucket is +Inf. */
    public static final double[] DELAY_BUCKETS = {1, 10, 60, 600, 3600, 21_600, 86_400, 259_200, 604_800};
    /** Outcome names of the label-delay histogram: one count per bucket, and the sum of delays in ms. */
    public static final String DELAY_BUCKET = "delay_bucket_";
    public static final String DELAY_SUM_MS = "delay_sum_ms";

    /** Model name used for records whose model is unknown (undecodable bytes). */
    public static final String UNKNOWN_MODEL = "";

    private static final char SEPARATOR = '\u001f';
    private static final String[] DELAY_BUCKET_OUTCOMES = new String[DELAY_BUCKETS.length + 1];

    static {
        for (int i = 0; i < DELAY_BUCKET_OUTCOMES.length; i++) {
            DELAY_BUCKET_OUTCOMES[i] = DELAY_BUCKET + i;
        }
    }

    private final KeyValueStore<String, Long> store;
    /**
     * Store keys by stream, model and outcome, each built once: building and hashing a new key string for every
     * count (six per joined event) took 3% of the stream thread in a profile. The same key instance each time also
     * keeps its hash for the write-back buffer's map. Model ids come from the input, so the cache is bounded.
     */
    private final Map<KeyParts, String> keys = new HashMap<>();
    private static final int MAX_CACHED = 10_000;

    private record KeyParts(String stream, String model, String outcome) {
    }

    public Accounting(KeyValueStore<String, Long> store) {
        this.store = store;
    }

    public static String key(String stream, String model, String outcome) {
        return stream + SEPARATOR + model + SEPARATOR + outcome;
    }

    /** Splits a store key into (stream, model, outcome). */
    public static String[] parse(String key) {
        int a = key.indexOf(SEPARATOR);
        int b = key.lastIndexOf(SEPARATOR);
        return new String[] {key.substring(0, a), key.substring(a + 1, b), key.substring(b + 1)};
    }

    public void add(String stream, String model, String outcome, long delta) {
        KeyParts parts = new KeyParts(stream, model, outcome);
        String key = keys.get(parts);
        if (key == null) {
            if (keys.size() >= MAX_CACHED) {
                keys.clear();
            }
            key = key(stream, model, outcome);
            keys.put(parts, key);
        }
        Long current = store.get(key);
        store.put(key, (current == null ? 0L : current) + delta);
    }

    public void increment(String stream, String model, String outcome) {
        add(stream, model, outcome, 1);
    }

    /** The sum of one outcome over every model in this task's store (e.g. its pending predictions). */
    public long total(String stream, String outcome) {
        long total = 0;
        try (var it = store.all()) {
            while (it.hasNext()) {
                var e = it.next();
                String[] k = parse(e.key);
                if (k[0].equals(stream) && k[2].equals(outcome)) {
                    total += e.value;
                }
            }
        }
        return total;
    }

    /** Counts one joined label's delay in its histogram bucket (negative delays count as 0). */
    public void observeDelay(String model, long delayMs) {
        long delay = Math.max(0, delayMs);
        int bucket = 0;
        while (bucket < DELAY_BUCKETS.length && delay > DELAY_BUCKETS[bucket] * 1000) {
            bucket++;
        }
        add(LABELS, model, DELAY_BUCKET_OUTCOMES[bucket], 1);
        add(LABELS, model, DELAY_SUM_MS, delay);
    }
}
