package io.lossmonitor.cases;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The reference comparison of the golden cases: {@code |a - e| <= 1e-9·|e| + atol}, element-wise over equal
 * shapes; an expected "NaN" (JSON has no NaN) matches only NaN, and an expected infinity only the same infinity.
 */
public final class Tolerance {

    public static final double RELATIVE = 1e-9;

    private Tolerance() {
    }

    public static boolean matches(JsonNode expected, JsonNode actual, double atol) {
        if (expected.isArray() || actual.isArray()) {
            if (!expected.isArray() || !actual.isArray() || expected.size() != actual.size()) {
                return false;
            }
            for (int i = 0; i < expected.size(); i++) {
                if (!matches(expected.get(i), actual.get(i), atol)) {
                    return false;
                }
            }
            return true;
        }
        Double boxedE = value(expected);
        Double boxedA = value(actual);
        if (boxedE == null || boxedA == null) {
            return false;
        }
        double e = boxedE;
        double a = boxedA;
        if (Double.isNaN(e) || Double.isNaN(a)) {
            return Double.isNaN(e) && Double.isNaN(a);
        }
        if (Double.isInfinite(e) || Double.isInfinite(a)) {
            return e == a;
        }
        return Math.abs(a - e) <= RELATIVE * Math.abs(e) + atol;
    }

    /** The number a node stands for, or null when it is neither a number nor a named non-finite value. */
    private static Double value(JsonNode node) {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            switch (node.textValue()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        }
        return null;
    }
}
