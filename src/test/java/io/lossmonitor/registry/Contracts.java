package io.lossmonitor.registry;

import io.lossmonitor.schema.ClassContribution;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.ScoreKind;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.schema.Task;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One filled-in instance of every contract, every optional field set, for round trips. */
final class Contracts {

    static final Instant T0 = Instant.parse("2026-11-01T12:00:00.123Z");

    private Contracts() {
    }

    static Prediction prediction(String id) {
        return Prediction.newBuilder()
                .setPredictionId(id).setModelId("ranker").setModelVersion("v7")
                .setTimestamp(T0).setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS)
                .setScores(List.of(2.0, -3.0, 0.8, 1.2))
                .setSegments(Map.of("country", "DE"))
                .build();
    }

    static Label indexLabel(String id) {
        return Label.newBuilder().setPredictionId(id).setModelId("ranker").setTimestamp(T0.plusSeconds(3600))
                .setTarget(2).setWeight(0.5).build();
    }

    static Label vectorLabel(String id) {
        return Label.newBuilder().setPredictionId(id).setModelId("tagger").setTimestamp(T0.plusSeconds(60))
                .setTarget(List.of(1.0, 0.0, 1.0)).build();
    }

    static ScoredEvent scoredEvent() {
        return ScoredEvent.newBuilder()
                .setPredictionId("p-1").setModelId("ranker").setModelVersion("v7").setKind(ScoreKind.RETRACTION)
                .setPredictionTime(T0).setLabelTime(T0.plusSeconds(3600)).setLabelDelayMs(3_600_000L)
                .setLossKind(LossKind.CROSS_ENTROPY).setLoss(1.763756416846708)
                .setNumerator(0.881878208423354).setDenominator(0.5)
                .setClasses(List.of(ClassContribution.newBuilder().setClassIndex(2).setClassName("c")
                        .setNumerator(0.881878208423354).setDenominator(0.5).build()))
                .setPredictedClass(0).setConfidence(0.5).setCorrect(false).setEntropy(1.1).setSampleWeight(0.5)
                .setSegments(Map.of("country", "DE"))
                .build();
    }

    static LossWindow lossWindow() {
        return LossWindow.newBuilder()
                .setModelId("ranker").setModelVersion("v7").setClassName("c").setLossKind(LossKind.CROSS_ENTROPY)
                .setWindowSizeMs(60_000L).setWindowStart(Instant.parse("2026-11-01T12:00:00Z"))
                .setWindowEnd(Instant.parse("2026-11-01T12:01:00Z")).setEventCount(3)
                .setNumerator(3.0).setNumeratorLow(1e-17).setDenominator(2.0).setDenominatorLow(0.0).setMean(1.5)
                .setUpdatedAt(T0)
                .build();
    }

    static ModelSpec modelSpec() {
        return ModelSpec.newBuilder()
                .setModelId("ranker").setLoss(LossKind.CROSS_ENTROPY).setNumClasses(4)
                .setClassNames(List.of("a", "b", "c", "d")).setClassWeights(List.of(1.0, 2.0, 0.5, 1.0))
                .setPosWeight(null).setIgnoreIndex(-1).setLabelSmoothing(0.1).setProbabilitySumTolerance(1e-3)
                .setMaxLabelDelayMs(86_400_000L)
                .build();
    }
}
