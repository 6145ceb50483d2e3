package io.lossmonitor.topology.window;

import io.lossmonitor.loss.CompensatedSum;
import io.lossmonitor.schema.LossKind;

/**
 * All-time (numerator, denominator) of one window key, split into what scores added and what retractions took
 * back, so that both only grow: they are exported as Prometheus counters, whose rates give PyTorch's mean over any
 * time range: (Δadded − Δretracted numerator) / (Δadded − Δretracted denominator).
 */
public final class LossTotal {

    LossKind lossKind;
    CompensatedSum numerator = new CompensatedSum();
    CompensatedSum denominator = new CompensatedSum();
    CompensatedSum retractedNumerator = new CompensatedSum();
    CompensatedSum retractedDenominator = new CompensatedSum();
    long scored;
    long retracted;

    public LossTotal apply(WindowContribution c) {
        lossKind = c.lossKind();
        if (c.sign() > 0) {
            numerator.add(c.numerator());
            denominator.add(c.denominator());
            scored++;
        } else {
            retractedNumerator.add(c.numerator());
            retractedDenominator.add(c.denominator());
            retracted++;
        }
        return this;
    }

    /** Adds another total of the same key (a join task's partial); returns this. */
    public LossTotal merge(LossTotal o) {
        lossKind = o.lossKind == null ? lossKind : o.lossKind;
        numerator.merge(o.numerator);
        denominator.merge(o.denominator);
        retractedNumerator.merge(o.retractedNumerator);
        retractedDenominator.merge(o.retractedDenominator);
        scored += o.scored;
        retracted += o.retracted;
        return this;
    }

    public LossKind lossKind() {
        return lossKind;
    }

    public double numerator() {
        return numerator.value();
    }

    public double denominator() {
        return denominator.value();
    }

    public double retractedNumerator() {
        return retractedNumerator.value();
    }

    public double retractedDenominator() {
        return retractedDenominator.value();
    }

    public long scored() {
        return scored;
    }

    public long retracted() {
        return retracted;
    }
}
