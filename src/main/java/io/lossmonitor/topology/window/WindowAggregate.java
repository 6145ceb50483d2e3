package io.lossmonitor.topology.window;

import io.lossmonitor.loss.CompensatedSum;
import io.lossmonitor.loss.Reduction;
import io.lossmonitor.schema.LossKind;
import io.lossmonitor.topology.score.Scorer;
import java.util.Arrays;

/**
 * Everything a window needs to report, kept exactly and mergeably: sums are compensated and a retraction subtracts
 * what its score added, so after a correction the window equals the one computed as if only the corrected label
 * had existed.
 *
 * <ul>
 *   <li>mean: Σnumerator / Σdenominator, PyTorch's {@code reduction='mean'} over the window's events;</li>
 *   <li>standard error of that ratio (delta method): {@code sqrt(k/(k-1) · Σ(n - m·d)²) / Σd} over the k events
 *       that contribute a denominator; for unweighted losses it is the sample standard deviation over √k;</li>
 *   <li>accuracy: correct / judged (events whose correctness is defined), unweighted;</li>
 *   <li>ECE: 15 equal-width bins of top-1 confidence, Σ_b |correct_b - confidence_b| / judged;</li>
 *   <li>baseline: the loss of always predicting the window's own label distribution q: the entropy of q for
 *       cross-entropy on a model key (undefined on a class key), the mean binary entropy of each label's positive
 *       rate for BCE. Class weights and label smoothing are not applied to it;</li>
 *   <li>normalized entropy: mean / baseline (below 1: better than predicting the base rate); undefined (NaN)
 *       while every label in the window is the same class, where the baseline is 0.</li>
 * </ul>
 */
public final class WindowAggregate {

    public static final int BINS = 15;

    LossKind lossKind;
    long events;
    long contributing;
    CompensatedSum numerator = new CompensatedSum();
    CompensatedSum denominator = new CompensatedSum();
    CompensatedSum numeratorSquares = new CompensatedSum();
    CompensatedSum denominatorSquares = new CompensatedSum();
    CompensatedSum crossProducts = new CompensatedSum();
    long judged;
    long correct;
    double[] labels = new double[0];
    CompensatedSum labelWeight = new CompensatedSum();
    final long[] binCount = new long[BINS];
    final CompensatedSum[] binConfidence = sums(BINS);
    final long[] binCorrect = new long[BINS];
    CompensatedSum entropy = new CompensatedSum();

    private static CompensatedSum[] sums(int n) {
        CompensatedSum[] out = new CompensatedSum[n];
        for (int i = 0; i < n; i++) {
            out[i] = new CompensatedSum();
        }
        return out;
    }

    /** Adds (or, for a retraction, subtracts) one contribution; returns this. */
    public WindowAggregate apply(WindowContribution c) {
        int s = c.sign();
        lossKind = c.lossKind();
        events += s;
        double n = c.numerator();
        double d = c.denominator();
        if (d != 0) {
            contributing += s;
        }
        numerator.add(s * n);
        denominator.add(s * d);
        numeratorSquares.add(s * n * n);
        denominatorSquares.add(s * d * d);
        crossProducts.add(s * n * d);
        if (c.labels().length > labels.length) {
            labels = Arrays.copyOf(labels, c.labels().length);
        }
        for (int i = 0; i < c.labels().length; i++) {
            labels[i] += s * c.labels()[i];
        }
        labelWeight.add(s * c.labelWeight());
        entropy.add(s * c.entropy());
        if (c.correct() >= 0) {
            judged += s;
            correct += s * c.correct();
            int bin = Math.min(BINS - 1, (int) Math.floor(c.confidence() * BINS));
            binCount[bin] += s;
            binConfidence[bin].add(s * c.confidence());
            binCorrect[bin] += s * c.correct();
        }
        return this;
    }

    /** Adds another key's window of the same span (to fold rare classes into one series). */
    public WindowAggregate merge(WindowAggregate o) {
        lossKind = lossKind == null ? o.lossKind : lossKind;
        events += o.events;
        contributing += o.contributing;
        numerator.merge(o.numerator);
        denominator.merge(o.denominator);
        numeratorSquares.merge(o.numeratorSquares);
        denominatorSquares.merge(o.denominatorSquares);
        crossProducts.merge(o.crossProducts);
        judged += o.judged;
        correct += o.correct;
        if (o.labels.length > labels.length) {
            labels = Arrays.copyOf(labels, o.labels.length);
        }
        for (int i = 0; i < o.labels.length; i++) {
            labels[i] += o.labels[i];
        }
        labelWeight.merge(o.labelWeight);
        entropy.merge(o.entropy);
        for (int b = 0; b < BINS; b++) {
            binCount[b] += o.binCount[b];
            binCorrect[b] += o.binCorrect[b];
            binConfidence[b].merge(o.binConfidence[b]);
        }
        return this;
    }

    public LossKind lossKind() {
        return lossKind;
    }

    public long events() {
        return events;
    }

    public CompensatedSum numerator() {
        return numerator;
    }

    public CompensatedSum denominator() {
        return denominator;
    }

    /** PyTorch's mean over the window's events: NaN when the denominator is 0 ({@link Reduction#mean}). */
    public double mean() {
        return Reduction.mean(numerator.value(), denominator.value());
    }

    public double standardError() {
        if (contributing < 2) {
            return Double.NaN;
        }
        double m = mean();
        double spread = numeratorSquares.value() - 2 * m * crossProducts.value() + m * m * denominatorSquares.value();
        return Math.sqrt(Math.max(spread, 0.0) * contributing / (contributing - 1)) / Math.abs(denominator.value());
    }

    public double accuracy() {
        return judged == 0 ? Double.NaN : (double) correct / judged;
    }

    public double ece() {
        if (judged == 0) {
            return Double.NaN;
        }
        double gap = 0;
        for (int b = 0; b < BINS; b++) {
            gap += Math.abs(binCorrect[b] - binConfidence[b].value());
        }
        return gap / judged;
    }

    public double baselineLoss() {
        double weight = labelWeight.value();
        if (lossKind == null || !(weight > 0)) {
            return Double.NaN;
        }
        boolean binary = lossKind == LossKind.BINARY_CROSS_ENTROPY || lossKind == LossKind.BINARY_CROSS_ENTROPY_WITH_LOGITS;
        if (binary) {
            double sum = 0;
            for (double positives : labels) {
                sum += Scorer.binaryEntropy(clamp(positives / weight));
            }
            return labels.length == 0 ? Double.NaN : sum / labels.length;
        }
        if (labels.length < 2) {
            return Double.NaN;
        }
        double total = 0;
        for (double q : labels) {
            total += q;
        }
        double h = 0;
        for (double q : labels) {
            double p = q / total;
            if (p > 0) {
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    /**
     * Mean over baseline; undefined (NaN) when the baseline is 0, i.e. when every label in the window is the same
     * class: the constant predictor is then perfect and the ratio says nothing about the model (+inf would page
     * "worse than its base rate" for every hour of an imbalanced model that happens to see no positive).
     */
    public double normalizedEntropy() {
        double baseline = baselineLoss();
        return baseline > 0 ? mean() / baseline : Double.NaN;
    }

    public double entropyMean() {
        return events == 0 ? Double.NaN : entropy.value() / events;
    }

    public double[] labelDistribution() {
        return labels.clone();
    }

    private static double clamp(double p) {
        return Math.max(0.0, Math.min(1.0, p));
    }
}
