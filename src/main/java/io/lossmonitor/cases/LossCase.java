package io.lossmonitor.cases;

import com.fasterxml.jackson.databind.JsonNode;
import io.lossmonitor.loss.BinaryCrossEntropy;
import io.lossmonitor.loss.CrossEntropy;
import io.lossmonitor.loss.LossInputException;
import io.lossmonitor.loss.Reduction;
import io.lossmonitor.loss.ScoreSpace;
import java.util.Arrays;
import java.util.Locale;

/**
 * One line of the loss CLI's input: a PyTorch loss call written as JSON, evaluated through the loss core.
 *
 * <p>Fields (as in {@code golden-public.jsonl}): {@code id}, {@code loss} ({@code cross_entropy | nll_loss |
 * binary_cross_entropy | binary_cross_entropy_with_logits}), {@code input}, {@code target}, optional
 * {@code target_kind} ({@code index | prob}; by default PyTorch's rule: a target of the input's shape holds
 * probabilities), {@code weight}, {@code pos_weight}, {@code ignore_index} (default -100), {@code label_smoothing}
 * (default 0), {@code reduction} (default {@code mean}). loss-monitor adds {@code input_kind} for
 * {@code cross_entropy} ({@code logits}, the default, or {@code probabilities} for softmax outputs, scored as
 * {@code nll_loss(clamp(log p, min=-100))}) and {@code prob_sum_tolerance}. Other fields are ignored.
 *
 * <p>Shapes follow PyTorch: cross-entropy takes (C) with a scalar target, or (N, C, d1, ...) with (N, d1, ...)
 * targets, the class dimension being 1; BCE takes any shape, with weight and pos_weight broadcast to it.
 */
public final class LossCase {

    private LossCase() {
    }

    /**
     * Evaluates one case and returns its value: a number, nested arrays for {@code reduction='none'}, or the
     * string "NaN" where PyTorch gives NaN.
     *
     * @throws LossInputException  when the loss rejects the input (PyTorch would raise)
     * @throws CaseFormatException when the case itself is malformed
     */
    public static JsonNode evaluate(JsonNode c) {
        String loss = requiredText(c, "loss");
        Tensor input = Tensor.parse("input", required(c, "input"));
        Tensor target = Tensor.parse("target", required(c, "target"));
        Reduction reduction = c.hasNonNull("reduction") ? Reduction.parse(c.get("reduction").asText()) : Reduction.MEAN;
        switch (loss) {
            case "cross_entropy":
                return crossEntropy(c, input, target, reduction, inputKind(c));
            case "nll_loss":
                return crossEntropy(c, input, target, reduction, ScoreSpace.LOG_PROBABILITIES);
            case "binary_cross_entropy":
                return binary(c, input, target, reduction, false);
            case "binary_cross_entropy_with_logits":
                return binary(c, input, target, reduction, true);
            default:
                throw new CaseFormatException("unknown loss '" + loss + "'; expected cross_entropy, nll_loss,"
                        + " binary_cross_entropy or binary_cross_entropy_with_logits");
        }
    }

    private static JsonNode crossEntropy(JsonNode c, Tensor input, Tensor target, Reduction reduction,
                                         ScoreSpace space) {
        String name = space == ScoreSpace.LOG_PROBABILITIES ? "nll_loss" : "cross_entropy";
        rejectPresent(c, "pos_weight", name);
        if (input.rank() == 0) {
            throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH,
                    name + " needs an input of shape (C) or (N, C, ...), got a scalar");
        }
        int classes = input.rank() == 1 ? input.shape[0] : input.shape[1];
        int batch = input.rank() == 1 ? 1 : input.shape[0];
        int spatial = 1;
        for (int d = 2; d < input.rank(); d++) {
            spatial *= input.shape[d];
        }
        int[] outShape = input.rank() == 1 ? new int[0] : dropClassDim(input.shape);
        boolean soft = isSoftTarget(c, input, target);

        double smoothing = c.hasNonNull("label_smoothing") ? c.get("label_smoothing").asDouble() : 0.0;
        if (space == ScoreSpace.LOG_PROBABILITIES) {
            if (smoothing != 0.0) {
                throw new LossInputException(LossInputException.Reason.INVALID_ARGUMENT,
                        "nll_loss has no label_smoothing (got " + smoothing + "); use cross_entropy");
            }
            if (soft) {
                throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH,
                        "nll_loss needs class-index targets of shape (N, ...), got " + Tensor.describe(target.shape));
            }
        }
        CrossEntropy.Builder builder = CrossEntropy.builder(classes)
                .scores(space)
                .labelSmoothing(smoothing)
                .ignoreIndex(c.hasNonNull("ignore_index") ? integer(c, "ignore_index") : CrossEntropy.DEFAULT_IGNORE_INDEX);
        if (c.hasNonNull("weight")) {
            Tensor w = Tensor.parse("weight", c.get("weight"));
            if (w.rank() != 1) {
                throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH, "weight must be 1-D of length C="
                        + classes + ", got shape " + Tensor.describe(w.shape));
            }
            builder.weight(w.data);
        }
        if (c.hasNonNull("prob_sum_tolerance")) {
            builder.probabilitySumTolerance(c.get("prob_sum_tolerance").asDouble());
        }
        CrossEntropy ce = builder.build();
        double[] rows = classesLast(input.data, batch, classes, spatial);
        if (soft) {
            double[] probs = classesLast(target.data, batch, classes, spatial);
            if (reduction == Reduction.NONE) {
                return Tensor.toJson(ce.softLosses(rows, probs), outShape);
            }
            return Tensor.number(ce.reduceSoft(rows, probs, reduction));
        }
        if (!Arrays.equals(target.shape, outShape)) {
            throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH, "class-index target of shape "
                    + Tensor.describe(target.shape) + " does not match input " + Tensor.describe(input.shape)
                    + "; expected " + Tensor.describe(outShape));
        }
        int[] indices = target.asIndices("target");
        if (reduction == Reduction.NONE) {
            return Tensor.toJson(ce.indexLosses(rows, indices), outShape);
        }
        return Tensor.number(ce.reduceIndex(rows, indices, reduction));
    }

    private static boolean isSoftTarget(JsonNode c, Tensor input, Tensor target) {
        boolean sameShape = Arrays.equals(input.shape, target.shape);
        if (!c.hasNonNull("target_kind")) {
            return sameShape;
        }
        String kind = c.get("target_kind").asText();
        switch (kind) {
            case "prob":
                if (!sameShape) {
                    throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH, "probability target of shape "
                            + Tensor.describe(target.shape) + " must have the input's shape " + Tensor.describe(input.shape));
                }
                return true;
            case "index":
                if (sameShape) {
                    throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH, "class-index target has the"
                            + " input's shape " + Tensor.describe(input.shape) + "; PyTorch would read it as probabilities");
                }
                return false;
            default:
                throw new CaseFormatException("target_kind must be 'index' or 'prob', got '" + kind + "'");
        }
    }

    private static JsonNode binary(JsonNode c, Tensor input, Tensor target, Reduction reduction, boolean logits) {
        String name = logits ? "binary_cross_entropy_with_logits" : "binary_cross_entropy";
        if (!Arrays.equals(input.shape, target.shape)) {
            throw new LossInputException(LossInputException.Reason.SHAPE_MISMATCH, "target size "
                    + Tensor.describe(target.shape) + " must be the same as input size " + Tensor.describe(input.shape));
        }
        if (c.hasNonNull("ignore_index") && integer(c, "ignore_index") != CrossEntropy.DEFAULT_IGNORE_INDEX) {
            throw new LossInputException(LossInputException.Reason.INVALID_ARGUMENT, name + " has no ignore_index");
        }
        if (c.hasNonNull("label_smoothing") && c.get("label_smoothing").asDouble() != 0.0) {
            throw new LossInputException(LossInputException.Reason.INVALID_ARGUMENT, name + " has no label_smoothing");
        }
        if (!logits) {
            rejectPresent(c, "pos_weight", name);
        }
        double[] weight = c.hasNonNull("weight")
                ? Tensor.parse("weight", c.get("weight")).broadcastTo("weight", input.shape) : null;
        double[] posWeight = c.hasNonNull("pos_weight")
                ? Tensor.parse("pos_weight", c.get("pos_weight")).broadcastTo("pos_weight", input.shape) : null;
        if (reduction == Reduction.NONE) {
            return Tensor.toJson(BinaryCrossEntropy.elementLosses(logits, input.data, target.data, weight, posWeight),
                    input.shape);
        }
        return Tensor.number(BinaryCrossEntropy.reduceElements(logits, input.data, target.data, weight, posWeight,
                reduction));
    }

    private static ScoreSpace inputKind(JsonNode c) {
        if (!c.hasNonNull("input_kind")) {
            return ScoreSpace.LOGITS;
        }
        String kind = c.get("input_kind").asText().toLowerCase(Locale.ROOT);
        switch (kind) {
            case "logits": return ScoreSpace.LOGITS;
            case "probabilities": return ScoreSpace.PROBABILITIES;
            default: throw new CaseFormatException("input_kind must be 'logits' or 'probabilities', got '" + kind + "'");
        }
    }

    /** (N, C, S) row-major to (N·S, C): each row holds one position's C class scores. */
    private static double[] classesLast(double[] data, int batch, int classes, int spatial) {
        if (spatial == 1) {
            return data;
        }
        double[] out = new double[data.length];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < classes; c++) {
                for (int s = 0; s < spatial; s++) {
                    out[(n * spatial + s) * classes + c] = data[(n * classes + c) * spatial + s];
                }
            }
        }
        return out;
    }

    private static int[] dropClassDim(int[] shape) {
        int[] out = new int[shape.length - 1];
        out[0] = shape[0];
        System.arraycopy(shape, 2, out, 1, shape.length - 2);
        return out;
    }

    private static void rejectPresent(JsonNode c, String field, String loss) {
        if (c.hasNonNull(field)) {
            throw new LossInputException(LossInputException.Reason.INVALID_ARGUMENT, loss + " has no " + field);
        }
    }

    private static JsonNode required(JsonNode c, String field) {
        JsonNode node = c.get(field);
        if (node == null || node.isNull()) {
            throw new CaseFormatException("missing field '" + field + "'");
        }
        return node;
    }

    private static String requiredText(JsonNode c, String field) {
        JsonNode node = required(c, field);
        if (!node.isTextual()) {
            throw new CaseFormatException("field '" + field + "' must be a string, got " + node);
        }
        return node.textValue();
    }

    private static int integer(JsonNode c, String field) {
        JsonNode node = c.get(field);
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new CaseFormatException("field '" + field + "' must be an integer, got " + node);
        }
        return node.intValue();
    }
}
