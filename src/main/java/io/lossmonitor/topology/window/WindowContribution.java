package io.lossmonitor.topology.window;

import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.score.Score;
import io.lossmonitor.topology.score.Scorer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;

/**
 * One scored event's part in one window key: added (sign +1) or withdrawn by a retraction (sign -1).
 *
 * @param labels      the event's target distribution for this key (all classes for the model key, the one class
 *                    for a class key), times the sample weight
 * @param labelWeight the sample weight when the event has a target (0 when ignored)
 * @param correct     1, 0, or -1 when undefined
 */
public record WindowContribution(LossKind lossKind, int sign, double numerator, double denominator, double[] labels,
                                 double labelWeight, double confidence, int correct, double entropy) {

    /** The contributions of one score: its model key, and one per class it names. */
    public static List<KeyValue<String, WindowContribution>> of(Score s) {
        int sign = s.retraction() ? -1 : 1;
        List<KeyValue<String, WindowContribution>> out = new ArrayList<>(1 + s.classIndex().length);
        boolean labelled = s.correct() >= 0 || s.denominator() != 0;
        double weight = labelled ? s.sampleWeight() : 0.0;
        out.add(KeyValue.pair(WindowKey.all(s.modelId(), s.modelVersion()).encode(),
                new WindowContribution(s.lossKind(), sign, s.numerator(), s.denominator(), s.labelDistribution(),
                        weight, s.confidence(), s.correct(), s.entropy())));
        boolean binary = s.lossKind() == LossKind.BINARY_CROSS_ENTROPY
                || s.lossKind() == LossKind.BINARY_CROSS_ENTROPY_WITH_LOGITS;
        for (int i = 0; i < s.classIndex().length; i++) {
            int c = s.classIndex()[i];
            double target = s.labelDistribution()[c];
            double confidence = s.confidence();
            int correct = s.correct();
            double entropy = s.entropy();
            if (binary) {
                // A label's own binary prediction: its probability, thresholded at 0.5.
                double p = s.classProbability()[i];
                confidence = Math.max(p, 1 - p);
                correct = s.sampleWeight() > 0 ? ((p >= 0.5) == (target / s.sampleWeight() >= 0.5) ? 1 : 0) : -1;
                entropy = Scorer.binaryEntropy(p);
            }
            out.add(KeyValue.pair(new WindowKey(s.modelId(), s.modelVersion(), s.className()[i]).encode(),
                    new WindowContribution(s.lossKind(), sign, s.classNumerator()[i], s.classDenominator()[i],
                            new double[] {target}, s.sampleWeight(), confidence, correct, entropy)));
        }
        return out;
    }
}
