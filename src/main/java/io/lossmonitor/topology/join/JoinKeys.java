package io.lossmonitor.topology.join;

/**
 * Join keys: (model id, prediction id), since prediction ids are unique only within a model. The intake rejects
 * model ids with control characters, so the first separator splits a key unambiguously.
 */
public final class JoinKeys {

    /** A control character: it does not occur in real ids, so keys cannot collide. */
    public static final char SEPARATOR = '\u001f';

    private JoinKeys() {
    }

    public static String of(String modelId, String predictionId) {
        return modelId + SEPARATOR + predictionId;
    }

    public static String modelId(String key) {
        return key.substring(0, separator(key));
    }

    public static String predictionId(String key) {
        return key.substring(separator(key) + 1);
    }

    private static int separator(String key) {
        int at = key.indexOf(SEPARATOR);
        if (at < 0) {
            throw new IllegalArgumentException("not a join key: " + key);
        }
        return at;
    }
}
