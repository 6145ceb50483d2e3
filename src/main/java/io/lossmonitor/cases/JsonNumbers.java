package io.lossmonitor.cases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** JSON has no NaN or infinity: the case format writes them as the strings "NaN", "Infinity", "-Infinity". */
public final class JsonNumbers {

    private JsonNumbers() {
    }

    public static JsonNode of(double v) {
        if (Double.isNaN(v)) {
            return JsonNodeFactory.instance.textNode("NaN");
        }
        if (Double.isInfinite(v)) {
            return JsonNodeFactory.instance.textNode(v > 0 ? "Infinity" : "-Infinity");
        }
        return JsonNodeFactory.instance.numberNode(v);
    }
}
