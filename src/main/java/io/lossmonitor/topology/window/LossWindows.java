package io.lossmonitor.topology.window;

import io.lossmonitor.schema.LossWindow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The Avro form of a window's state, for the loss-windows topic. Undefined values are null, not NaN. */
public final class LossWindows {

    private LossWindows() {
    }

    public static LossWindow of(WindowKey key, long sizeMs, long startMs, WindowAggregate a, long updatedAtMs) {
        List<Double> labels = new ArrayList<>();
        for (double v : a.labelDistribution()) {
            labels.add(v);
        }
        return LossWindow.newBuilder()
                .setModelId(key.modelId()).setModelVersion(key.modelVersion()).setClassName(key.className())
                .setLossKind(a.lossKind()).setWindowSizeMs(sizeMs)
                .setWindowStart(Instant.ofEpochMilli(startMs)).setWindowEnd(Instant.ofEpochMilli(startMs + sizeMs))
                .setEventCount(a.events())
                .setNumerator(a.numerator().high()).setNumeratorLow(a.numerator().low())
                .setDenominator(a.denominator().high()).setDenominatorLow(a.denominator().low())
                .setMean(a.mean())
                .setUpdatedAt(Instant.ofEpochMilli(updatedAtMs))
                .setStandardError(defined(a.standardError()))
                .setJudgedCount(a.judged).setCorrectCount(a.correct)
                .setAccuracy(defined(a.accuracy())).setEce(defined(a.ece()))
                .setBaselineLoss(defined(a.baselineLoss())).setNormalizedEntropy(defined(a.normalizedEntropy()))
                .setPredictionEntropyMean(defined(a.entropyMean()))
                .setLabelDistribution(labels)
                .build();
    }

    private static Double defined(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
