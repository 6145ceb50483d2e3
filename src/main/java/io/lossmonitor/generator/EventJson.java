package io.lossmonitor.generator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.lossmonitor.cases.JsonNumbers;
import java.util.List;

/** JSON values for generated events: numbers, with non-finite ones as the strings the loss CLI reads. */
final class EventJson {

    private EventJson() {
    }

    static JsonNode number(double v) {
        return JsonNumbers.of(v);
    }

    static ArrayNode numbers(List<Double> values) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode(values.size());
        for (Double v : values) {
            array.add(number(v));
        }
        return array;
    }

    /** A label target: an index, or a vector. */
    @SuppressWarnings("unchecked")
    static JsonNode target(Object target) {
        if (target instanceof Integer index) {
            return JsonNodeFactory.instance.numberNode(index);
        }
        return numbers((List<Double>) target);
    }
}
