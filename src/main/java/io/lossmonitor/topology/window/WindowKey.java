package io.lossmonitor.topology.window;

/**
 * What a window aggregates over: one model version, and one class (or label), or all of them ({@code className}
 * null). Encoded as a string key so that every (model, version, class) lives in exactly one task.
 */
public record WindowKey(String modelId, String modelVersion, String className) {

    private static final char SEPARATOR = '\u001f';
    private static final char ALL = '*';
    private static final char CLASS = '=';

    public static WindowKey all(String modelId, String modelVersion) {
        return new WindowKey(modelId, modelVersion, null);
    }

    public boolean isAll() {
        return className == null;
    }

    public String encode() {
        return modelId + SEPARATOR + modelVersion + SEPARATOR + (className == null ? String.valueOf(ALL) : CLASS + className);
    }

    public static WindowKey decode(String key) {
        int a = key.indexOf(SEPARATOR);
        int b = key.indexOf(SEPARATOR, a + 1);
        String cls = key.substring(b + 1);
        return new WindowKey(key.substring(0, a), key.substring(a + 1, b), cls.charAt(0) == ALL ? null : cls.substring(1));
    }
}
