package io.lossmonitor.events;

import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import java.util.Map;

/**
 * A decoded {@code Prediction} with its scores in a primitive array, as the loss core reads them.
 *
 * @param timestampMs prediction (event) time, epoch milliseconds
 * @param scores      the model's outputs in class order; owned by this event
 * @param segments    slicing attributes (possibly empty, never null)
 */
public record PredictionEvent(String predictionId, String modelId, String modelVersion, long timestampMs,
                              Task task, OutputKind output, double[] scores, Map<String, String> segments) {
}
