package io.lossmonitor.events;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;

/** The loss a prediction is scored with when its model has no spec: it follows the task and the output kind. */
public final class DefaultLoss {

    private DefaultLoss() {
    }

    public static LossKind of(Task task, OutputKind output) {
        switch (task) {
            case MULTICLASS:
                return output == OutputKind.LOG_PROBABILITIES ? LossKind.NLL : LossKind.CROSS_ENTROPY;
            case BINARY:
            case MULTILABEL:
                return output == OutputKind.LOGITS
                        ? LossKind.BINARY_CROSS_ENTROPY_WITH_LOGITS : LossKind.BINARY_CROSS_ENTROPY;
            default:
                throw new IllegalArgumentException("unknown task " + task);
        }
    }
}
