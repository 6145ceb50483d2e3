package io.lossmonitor.generator;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Feeds generated records to sinks, paced at a multiple of real time, until done or told to stop. */
public final class TrafficRunner {

    private TrafficRunner() {
    }

    /**
     * @param speed multiple of real time (records keep their spacing in arrival time); 0 for as fast as possible
     * @param stop  checked before each record
     * @return records sent, by kind (predictions, labels, duplicate_labels, corrections, invalid_predictions, ...)
     */
    public static Map<String, Long> run(Traffic traffic, List<TrafficSink> sinks, double speed, BooleanSupplier stop)
            throws IOException, InterruptedException {
        Map<String, Long> counts = new LinkedHashMap<>();
        long wallStart = System.nanoTime();
        long firstArrival = -1;
        while (traffic.hasNext() && !stop.getAsBoolean()) {
            GeneratedRecord record = traffic.next();
            if (speed > 0) {
                firstArrival = firstArrival < 0 ? record.arrivalMs() : firstArrival;
                long due = wallStart + (long) ((record.arrivalMs() - firstArrival) * 1_000_000 / speed);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            for (TrafficSink sink : sinks) {
                sink.accept(record);
            }
            counts.merge(describe(record), 1L, Long::sum);
        }
        return counts;
    }

    static String describe(GeneratedRecord record) {
        String kind = switch (record) {
            case GeneratedRecord.PredictionRecord p -> p.duplicate() ? "duplicate_predictions" : "predictions";
            case GeneratedRecord.LabelRecord l -> switch (l.role()) {
                case FIRST -> "labels";
                case DUPLICATE -> "duplicate_labels";
                case CORRECTION -> "corrections";
            };
        };
        return record.valid() ? kind : "invalid_" + kind;
    }
}
