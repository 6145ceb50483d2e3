package io.lossmonitor.cases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A dense float64 tensor read from nested JSON arrays: flat row-major values and a shape. */
final class Tensor {

    final double[] data;
    final int[] shape;

    Tensor(double[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
    }

    int rank() {
        return shape.length;
    }

    static String describe(int[] shape) {
        return Arrays.toString(shape);
    }

    /**
     * Parses a number or nested arrays of numbers. The strings "NaN", "Infinity" and "-Infinity" (JSON has no such
     * literals) are read as those doubles, so that the loss can reject them with its own message.
     */
    static Tensor parse(String field, JsonNode node) {
        List<Integer> shape = new ArrayList<>();
        JsonNode probe = node;
        while (probe.isArray()) {
            shape.add(probe.size());
            if (probe.isEmpty()) {
                break;
            }
            probe = probe.get(0);
        }
        int[] dims = shape.stream().mapToInt(Integer::intValue).toArray();
        long count = 1;
        for (int d : dims) {
            count *= d;
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new CaseFormatException(field + " is too large");
        }
        double[] data = new double[(int) count];
        int[] cursor = {0};
        fill(field, node, dims, 0, data, cursor);
        return new Tensor(data, dims);
    }

    private static void fill(String field, JsonNode node, int[] dims, int depth, double[] out, int[] cursor) {
        if (depth == dims.length) {
            out[cursor[0]++] = number(field, node);
            return;
        }
        if (!node.isArray() || node.size() != dims[depth]) {
            throw new CaseFormatException(field + " is not a rectangular array of shape " + describe(dims));
        }
        for (JsonNode child : node) {
            fill(field, child, dims, depth + 1, out, cursor);
        }
    }

    private static double number(String field, JsonNode node) {
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            switch (node.textValue()) {
                case "NaN": case "nan": return Double.NaN;
                case "Infinity": case "inf": return Double.POSITIVE_INFINITY;
                case "-Infinity": case "-inf": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        }
        throw new CaseFormatException(field + " holds " + node + ", which is not a number");
    }

    /** The values as class indices: each must be an integer. */
    int[] asIndices(String field) {
        int[] out = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            double v = data[i];
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new CaseFormatException(field + "[" + i + "] = " + v + " is not an integer class index");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /**
     * PyTorch broadcasting of this tensor to {@code target}: dimensions are aligned from the right and each must
     * equal the target's or be 1.
     */
    double[] broadcastTo(String field, int[] target) {
        if (shape.length > target.length) {
            throw new CaseFormatException(field + " of shape " + describe(shape) + " cannot be broadcast to "
                    + describe(target));
        }
        int offset = target.length - shape.length;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1 && shape[i] != target[offset + i]) {
                throw new CaseFormatException(field + " of shape " + describe(shape) + " cannot be broadcast to "
                        + describe(target));
            }
        }
        int total = 1;
        for (int d : target) {
            total *= d;
        }
        double[] out = new double[total];
        int[] index = new int[target.length];
        for (int flat = 0; flat < total; flat++) {
            int source = 0;
            for (int i = 0; i < shape.length; i++) {
                source = source * shape[i] + (shape[i] == 1 ? 0 : index[offset + i]);
            }
            out[flat] = data[source];
            for (int d = target.length - 1; d >= 0; d--) {
                if (++index[d] < target[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /** Writes flat values as nested arrays of {@code shape}; non-finite values as their names. */
    static JsonNode toJson(double[] values, int[] shape) {
        if (shape.length == 0) {
            return number(values[0]);
        }
        int[] cursor = {0};
        return nest(values, shape, 0, cursor);
    }

    private static JsonNode nest(double[] values, int[] shape, int depth, int[] cursor) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode(shape[depth]);
        for (int i = 0; i < shape[depth]; i++) {
            if (depth == shape.length - 1) {
                array.add(number(values[cursor[0]++]));
            } else {
                array.add(nest(values, shape, depth + 1, cursor));
            }
        }
        return array;
    }

    static JsonNode number(double v) {
        return JsonNumbers.of(v);
    }
}
