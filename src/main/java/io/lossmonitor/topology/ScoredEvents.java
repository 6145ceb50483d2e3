package io.lossmonitor.topology;

import io.lossmonitor.schema.ClassContribution;
import io.lossmonitor.schema.ScoreKind;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.topology.score.Score;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The Avro form of a {@link Score}, for the scored-events topic. */
public final class ScoredEvents {

    private ScoredEvents() {
    }

    public static ScoredEvent of(Score s) {
        List<ClassContribution> classes = new ArrayList<>(s.classIndex().length);
        for (int i = 0; i < s.classIndex().length; i++) {
            classes.add(new ClassContribution(s.classIndex()[i], s.className()[i], s.classNumerator()[i],
                    s.classDenominator()[i]));
        }
        return ScoredEvent.newBuilder()
                .setPredictionId(s.predictionId()).setModelId(s.modelId()).setModelVersion(s.modelVersion())
                .setKind(s.retraction() ? ScoreKind.RETRACTION : ScoreKind.SCORE)
                .setPredictionTime(Instant.ofEpochMilli(s.predictionTime()))
                .setLabelTime(Instant.ofEpochMilli(s.labelTime()))
                .setLabelDelayMs(s.labelTime() - s.predictionTime())
                .setLossKind(s.lossKind()).setLoss(s.loss()).setNumerator(s.numerator()).setDenominator(s.denominator())
                .setClasses(classes).setPredictedClass(s.predictedClass()).setConfidence(s.confidence())
                .setCorrect(s.correct() < 0 ? null : s.correct() == 1).setEntropy(s.entropy())
                .setSampleWeight(s.sampleWeight()).setSegments(s.segments())
                .build();
    }
}
