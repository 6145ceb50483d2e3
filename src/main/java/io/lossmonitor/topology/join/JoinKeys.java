package io.lossmonitor.topology.join;

/** Join keys: (model id, prediction id), since prediction ids are unique only within a model. */
public final class JoinKeys {

    /** A control character: it does not occur in real ids, so keys cannot collide. */
    public static final char SEPARATOR = '\u001f';

    private JoinKeys() {
    }

    public static String of(String modelId, String predictionId) {
        return modelId + SEPARATOR + predictionId;
    }
}
