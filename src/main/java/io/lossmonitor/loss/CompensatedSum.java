package io.lossmonitor.loss;

/**
 * A running sum with Neumaier's compensation: the error stays near one rounding of the total, independent of
 * how many terms were added, so a window of millions of events keeps 1e-15-level relative accuracy where a
 * plain {@code double} sum drifts to about n * 1e-16.
 *
 * <p>Terms may be negative (retractions). Merging adds the other's high and low parts, so any grouping of the
 * same terms agrees to within a couple of roundings of the total. Not thread-safe.
 */
public final class CompensatedSum {

    private double high;
    private double low;

    public CompensatedSum() {
    }

    /** Restores a sum from its two parts, as written by {@link #high()} and {@link #low()}. */
    public static CompensatedSum of(double high, double low) {
        CompensatedSum sum = new CompensatedSum();
        sum.high = high;
        sum.low = low;
        return sum;
    }

    public void add(double term) {
        double t = high + term;
        if (Math.abs(high) >= Math.abs(term)) {
            low += (high - t) + term;
        } else {
            low += (term - t) + high;
        }
        high = t;
    }

    public void merge(CompensatedSum other) {
        add(other.high);
        add(other.low);
    }

    /** The sum, rounded once. */
    public double value() {
        return high + low;
    }

    /** The leading part; together with {@link #low()} it is the exact state to persist. */
    public double high() {
        return high;
    }

    public double low() {
        return low;
    }
}
