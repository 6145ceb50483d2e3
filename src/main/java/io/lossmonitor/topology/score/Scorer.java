package io.lossmonitor.topology.score;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.loss.CrossEntropy;
import io.lossmonitor.loss.LossInputException;
import io.lossmonitor.loss.LossInputException.Reason;
import io.lossmonitor.loss.Softmax;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;

/**
 * Scores a prediction against its label through the loss core.
 *
 * <table>
 *   <caption>Contribution by loss and target (w = the label's sample weight)</caption>
 *   <tr><th>loss, target</th><th>numerator</th><th>denominator</th><th>per class</th></tr>
 *   <tr><td>CE / NLL, index y</td><td>w·l</td><td>w·weight[y]; 0 when y is ignore_index</td><td>class y</td></tr>
 *   <tr><td>CE, probability vector t</td><td>w·l</td><td>w</td><td>argmax t</td></tr>
 *   <tr><td>BCE(-with-logits), C outputs</td><td>w·Σ l_c</td><td>w·C</td><td>each output c: (w·l_c, w)</td></tr>
 * </table>
 * Summing contributions over events and dividing gives PyTorch's {@code reduction='mean'} over them (for w = 1;
 * an integer w counts the event w times). BCE targets must lie in [0, 1] (a binary index target is 0 or 1).
 */
public final class Scorer {

    private Scorer() {
    }

    /**
     * @throws InvalidEventException when the label does not fit the prediction (the label is at fault: the
     *                               prediction was validated on intake)
     */
    public static Score score(ScoringRule rule, PredictionEvent p, LabelEvent label) {
        try {
            return rule.crossEntropy() != null ? crossEntropy(rule, p, label) : binary(rule, p, label);
        } catch (LossInputException e) {
            throw InvalidEventException.of(e);
        }
    }

    private static Score crossEntropy(ScoringRule rule, PredictionEvent p, LabelEvent label) {
        CrossEntropy ce = rule.crossEntropy();
        double[] scores = p.scores();
        double w = label.weight();
        Distribution d = Distribution.of(rule.output(), scores);
        int predicted = d.predicted();
        double confidence = d.confidence();
        double entropy = d.entropy();
        if (label.hasIndexTarget()) {
            int y = label.targetIndex();
            double l = ce.indexLoss(scores, 0, y);
            double den = ce.indexDenominator(y);
            double[] distribution = new double[rule.classes()];
            if (y == ce.ignoreIndex()) {
                return score(rule, p, label, 0.0, 0.0, new int[0], new double[0], new double[0], new double[0], predicted,
                        confidence, -1, entropy, distribution);
            }
            distribution[y] = w;
            return score(rule, p, label, w * l, w * den, new int[] {y}, new double[] {w * l}, new double[] {w * den},
                    new double[] {Math.exp(d.logProbability(y))}, predicted, confidence, predicted == y ? 1 : 0, entropy,
                    distribution);
        }
        double[] t = label.targetVector();
        if (t.length != rule.classes()) {
            throw new LossInputException(Reason.SHAPE_MISMATCH, "probability target has " + t.length
                    + " values, the model has " + rule.classes() + " classes");
        }
        double l = ce.softLoss(scores, 0, t, 0);
        int truth = argmax(t);
        double[] distribution = new double[t.length];
        for (int k = 0; k < t.length; k++) {
            distribution[k] = w * t[k];
        }
        return score(rule, p, label, w * l, w, new int[] {truth}, new double[] {w * l}, new double[] {w},
                new double[] {Math.exp(d.logProbability(truth))}, predicted, confidence, predicted == truth ? 1 : 0, entropy,
                distribution);
    }

    private static Score binary(ScoringRule rule, PredictionEvent p, LabelEvent label) {
        int c = rule.classes();
        double[] t;
        if (label.hasIndexTarget()) {
            if (rule.task() != Task.BINARY) {
                throw new LossInputException(Reason.SHAPE_MISMATCH, "a multi-label model needs a vector target of "
                        + c + " values, got the class index " + label.targetIndex());
            }
            int y = label.targetIndex();
            if (y != 0 && y != 1) {
                throw new LossInputException(Reason.TARGET_OUT_OF_RANGE, "binary target " + y + " is out of bounds: 0 or 1");
            }
            t = new double[] {y};
        } else {
            t = label.targetVector();
            if (t.length != c) {
                throw new LossInputException(Reason.SHAPE_MISMATCH, "target has " + t.length + " values, the model has "
                        + c + " outputs");
            }
        }
        for (int k = 0; k < c; k++) {
            if (!(t[k] >= 0.0 && t[k] <= 1.0)) {
                throw new LossInputException(Reason.PROBABILITY_OUT_OF_RANGE, "target[" + k + "] = " + t[k]
                        + " is outside [0, 1]");
            }
        }
        double w = label.weight();
        double[] elements = new double[c];
        double sum = rule.binary().rowLoss(p.scores(), 0, t, 0, elements, 0);
        int[] classes = new int[c];
        double[] nums = new double[c];
        double[] dens = new double[c];
        double[] probs = new double[c];
        double[] distribution = new double[c];
        int predicted = 0;
        double best = -1;
        double confidenceSum = 0;
        double entropy = 0;
        boolean allRight = true;
        for (int k = 0; k < c; k++) {
            classes[k] = k;
            nums[k] = w * elements[k];
            dens[k] = w;
            double prob = rule.output() == OutputKind.LOGITS ? 1.0 / (1.0 + Math.exp(-p.scores()[k])) : p.scores()[k];
            probs[k] = prob;
            distribution[k] = w * t[k];
            if (prob > best) {
                best = prob;
                predicted = k;
            }
            confidenceSum += Math.max(prob, 1 - prob);
            entropy += binaryEntropy(prob);
            allRight &= (prob >= 0.5) == (t[k] >= 0.5);
        }
        if (rule.task() == Task.BINARY) {
            predicted = best >= 0.5 ? 1 : 0;
        }
        return score(rule, p, label, w * sum, w * c, classes, nums, dens, probs, predicted, confidenceSum / c,
                allRight ? 1 : 0, entropy, distribution);
    }

    private static Score score(ScoringRule rule, PredictionEvent p, LabelEvent label, double numerator,
                               double denominator, int[] classes, double[] nums, double[] dens, double[] probs,
                               int predicted, double confidence, int correct, double entropy, double[] distribution) {
        String[] names = new String[classes.length];
        for (int i = 0; i < classes.length; i++) {
            names[i] = rule.className(classes[i]);
        }
        return new Score(p.modelId(), p.modelVersion(), p.predictionId(), p.timestampMs(), label.timestampMs(),
                rule.loss(), false, numerator, denominator, classes, names, nums, dens, probs, predicted, confidence,
                correct, entropy, label.weight(), distribution, p.segments());
    }

    /** The label-free signals of a validated prediction. */
    public static PredictionSignals observe(PredictionEvent p) {
        double[] scores = p.scores();
        if (p.task() == Task.MULTICLASS) {
            Distribution d = Distribution.of(p.output(), scores);
            return new PredictionSignals(p.modelId(), p.modelVersion(), p.timestampMs(), scores.length, d.predicted(),
                    d.confidence(), d.entropy());
        }
        int predicted = 0;
        double best = -1;
        double confidence = 0;
        double entropy = 0;
        for (int k = 0; k < scores.length; k++) {
            double prob = p.output() == OutputKind.LOGITS ? 1.0 / (1.0 + Math.exp(-scores[k])) : scores[k];
            if (prob > best) {
                best = prob;
                predicted = k;
            }
            confidence += Math.max(prob, 1 - prob);
            entropy += binaryEntropy(prob);
        }
        if (p.task() == Task.BINARY) {
            predicted = best >= 0.5 ? 1 : 0;
        }
        return new PredictionSignals(p.modelId(), p.modelVersion(), p.timestampMs(), p.task() == Task.BINARY ? 2
                : scores.length, predicted, confidence / scores.length, entropy);
    }

    /**
     * A multi-class prediction's own statistics: the predicted class (the first highest score), its probability, the
     * Shannon entropy in nats, and log p of any class. Logits go through the loss core's {@link Softmax} (one pass of
     * exponentials, no array); the other outputs through {@link #logProbabilities}.
     */
    record Distribution(int predicted, double confidence, double entropy, double[] scores, double offset,
                        double[] logProbs) {

        static Distribution of(OutputKind output, double[] scores) {
            if (output != OutputKind.LOGITS) {
                int predicted = argmax(scores);
                double[] lp = logProbabilities(output, scores);
                return new Distribution(predicted, Math.exp(lp[predicted]), Scorer.entropy(lp), scores, 0, lp);
            }
            Softmax s = Softmax.of(scores);
            return new Distribution(s.predicted(), s.confidence(), s.entropy(), scores, s.logPartition(), null);
        }

        /** log p of class {@code c}. */
        double logProbability(int c) {
            return logProbs != null ? logProbs[c] : scores[c] - offset;
        }
    }

    /** log p per class, however the scores are given; probabilities of 0 give -infinity. */
    static double[] logProbabilities(OutputKind output, double[] scores) {
        double[] lp = new double[scores.length];
        switch (output) {
            case LOGITS -> {
                double m = Double.NEGATIVE_INFINITY;
                for (double x : scores) {
                    m = Math.max(m, x);
                }
                double s = 0;
                for (double x : scores) {
                    s += Math.exp(x - m);
                }
                double logZ = m + Math.log(s);
                for (int c = 0; c < scores.length; c++) {
                    lp[c] = scores[c] - logZ;
                }
            }
            case PROBABILITIES -> {
                for (int c = 0; c < scores.length; c++) {
                    lp[c] = Math.log(scores[c]);
                }
            }
            case LOG_PROBABILITIES -> System.arraycopy(scores, 0, lp, 0, scores.length);
        }
        return lp;
    }

    /** Shannon entropy in nats; classes of probability 0 contribute 0. */
    static double entropy(double[] logProbs) {
        double h = 0;
        for (double lp : logProbs) {
            if (lp > Double.NEGATIVE_INFINITY) {
                h -= Math.exp(lp) * lp;
            }
        }
        return Math.max(h, 0.0);
    }

    /** The entropy (nats) of a Bernoulli(p) prediction. */
    public static double binaryEntropy(double p) {
        double h = 0;
        if (p > 0) {
            h -= p * Math.log(p);
        }
        if (p < 1) {
            h -= (1 - p) * Math.log1p(-p);
        }
        return h;
    }

    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
