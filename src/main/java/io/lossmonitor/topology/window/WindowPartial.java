package io.lossmonitor.topology.window;

/**
 * What one join task has seen of one window key within one granule of prediction time since it last flushed: the
 * window's additive state and the all-time totals' share. Both merge exactly into the window task's aggregates, so
 * pre-aggregating changes no result, only how many records cross the repartition topic.
 */
public record WindowPartial(WindowAggregate aggregate, LossTotal total) {

    public WindowPartial() {
        this(new WindowAggregate(), new LossTotal());
    }

    /** Adds (or, for a retraction, withdraws) one contribution; returns this. */
    public WindowPartial apply(WindowContribution c) {
        aggregate.apply(c);
        total.apply(c);
        return this;
    }
}
