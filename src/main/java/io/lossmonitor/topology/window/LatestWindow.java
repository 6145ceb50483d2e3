package io.lossmonitor.topology.window;

/** The newest window of a key and size (by window start): what the window gauges show. */
public record LatestWindow<A>(long sizeMs, long startMs, A aggregate) {

    private static final char SEPARATOR = '\u001e';

    public static String key(String windowKey, long sizeMs) {
        return windowKey + SEPARATOR + sizeMs;
    }

    public static String windowKey(String key) {
        return key.substring(0, key.lastIndexOf(SEPARATOR));
    }
}
