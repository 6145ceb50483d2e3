package io.lossmonitor.topology.window;

import io.lossmonitor.loss.CompensatedSum;
import io.lossmonitor.topology.score.PredictionSignals;
import java.util.Arrays;

/**
 * Label-free signals of one model version over a window of prediction time: how many predictions, their mean
 * entropy and top-1 confidence, and how often each class was predicted. These move when inputs drift, long before
 * labels can show it.
 */
public final class PredictionWindowAggregate {

    long count;
    CompensatedSum confidence = new CompensatedSum();
    CompensatedSum entropy = new CompensatedSum();
    long[] predicted = new long[0];

    public PredictionWindowAggregate apply(PredictionSignals s) {
        count++;
        confidence.add(s.confidence());
        entropy.add(s.entropy());
        if (s.classes() > predicted.length) {
            predicted = Arrays.copyOf(predicted, s.classes());
        }
        if (s.predictedClass() >= predicted.length) {
            predicted = Arrays.copyOf(predicted, s.predictedClass() + 1);
        }
        predicted[s.predictedClass()]++;
        return this;
    }

    /** Adds another aggregate of the same key and span (a join task's partial); returns this. */
    public PredictionWindowAggregate merge(PredictionWindowAggregate o) {
        count += o.count;
        confidence.merge(o.confidence);
        entropy.merge(o.entropy);
        if (o.predicted.length > predicted.length) {
            predicted = Arrays.copyOf(predicted, o.predicted.length);
        }
        for (int c = 0; c < o.predicted.length; c++) {
            predicted[c] += o.predicted[c];
        }
        return this;
    }

    public long count() {
        return count;
    }

    public double confidenceMean() {
        return count == 0 ? Double.NaN : confidence.value() / count;
    }

    public double entropyMean() {
        return count == 0 ? Double.NaN : entropy.value() / count;
    }

    /** The share of predictions of each class. */
    public double[] predictedClassRatio() {
        double[] out = new double[predicted.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = count == 0 ? Double.NaN : (double) predicted[c] / count;
        }
        return out;
    }
}
