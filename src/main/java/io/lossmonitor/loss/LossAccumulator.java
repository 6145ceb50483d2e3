package io.lossmonitor.loss;

/**
 * The streaming form of {@code reduction='mean'}: per-event (numerator, denominator) contributions, summed with
 * compensation. For any set of events, {@code numerator() / denominator()} is PyTorch's mean over that set:
 *
 * <table>
 *   <caption>What each loss contributes per event</caption>
 *   <tr><th>loss</th><th>numerator</th><th>denominator</th></tr>
 *   <tr><td>cross_entropy / nll_loss, index target</td><td>the event's (weighted, smoothed) loss</td>
 *       <td>{@code weight[target]}, 0 when ignored</td></tr>
 *   <tr><td>cross_entropy, probability target</td><td>the event's loss</td><td>1</td></tr>
 *   <tr><td>binary_cross_entropy(_with_logits)</td><td>sum of the element losses</td>
 *       <td>element count</td></tr>
 * </table>
 *
 * <p>A zero denominator gives 0/0 = NaN, as PyTorch does for an all-ignored batch. Retracting a contribution
 * (a corrected label) subtracts it exactly as it was added. Not thread-safe.
 */
public final class LossAccumulator {

    private final CompensatedSum numerator;
    private final CompensatedSum denominator;
    private long count;

    public LossAccumulator() {
        this(new CompensatedSum(), new CompensatedSum(), 0);
    }

    private LossAccumulator(CompensatedSum numerator, CompensatedSum denominator, long count) {
        this.numerator = numerator;
        this.denominator = denominator;
        this.count = count;
    }

    /** Restores an accumulator from persisted parts (see {@link CompensatedSum#high()}). */
    public static LossAccumulator of(double numeratorHigh, double numeratorLow,
                                     double denominatorHigh, double denominatorLow, long count) {
        return new LossAccumulator(CompensatedSum.of(numeratorHigh, numeratorLow),
                CompensatedSum.of(denominatorHigh, denominatorLow), count);
    }

    public void add(double numeratorTerm, double denominatorTerm) {
        numerator.add(numeratorTerm);
        denominator.add(denominatorTerm);
        count++;
    }

    /** Removes a contribution added earlier, so the result is as if it had never been added. */
    public void retract(double numeratorTerm, double denominatorTerm) {
        numerator.add(-numeratorTerm);
        denominator.add(-denominatorTerm);
        count--;
    }

    public void merge(LossAccumulator other) {
        numerator.merge(other.numerator);
        denominator.merge(other.denominator);
        count += other.count;
    }

    /** PyTorch's {@code reduction='mean'} over the contributions ({@link Reduction#mean}: NaN at a 0 denominator). */
    public double mean() {
        return Reduction.mean(numerator.value(), denominator.value());
    }

    /** PyTorch's {@code reduction='sum'}. */
    public double sum() {
        return numerator.value();
    }

    public double numerator() {
        return numerator.value();
    }

    public double denominator() {
        return denominator.value();
    }

    public long count() {
        return count;
    }

    public CompensatedSum numeratorSum() {
        return numerator;
    }

    public CompensatedSum denominatorSum() {
        return denominator;
    }
}
