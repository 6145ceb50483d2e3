package io.lossmonitor.topology;

import static io.lossmonitor.topology.TopologyHarness.T0;
import static io.lossmonitor.topology.TopologyHarness.label;
import static io.lossmonitor.topology.TopologyHarness.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.Test;

/**
 * The invariant users rely on: a window's mean is PyTorch's {@code reduction='mean'} over exactly the events in it,
 * as the loss CLI computes it, for the model key and every class key, with class weights, ignore_index and label
 * smoothing, for class-index and probability targets, and for predictions with classes masked at -inf.
 */
class WindowInvariantTest {

    private static final double[] WEIGHTS = {0.5, 1.0, 2.0, 1.5, 0.25};
    private static final int IGNORE = 4;
    private static final double SMOOTHING = 0.1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Event(long time, double[] logits, Object target) {
    }

    @Test
    void everyWindowMeanEqualsTheLossCliOverItsEvents() throws Exception {
        SplittableRandom random = new SplittableRandom(2026);
        Map<String, List<Event>> events = new TreeMap<>();
        try (TopologyHarness h = new TopologyHarness(TopologyConfig.defaults())) {
            for (String model : List.of("index", "soft", "masked")) {
                h.pipe(ModelSpec.newBuilder().setModelId(model).setNumClasses(5)
                        .setClassWeights(java.util.Arrays.stream(WEIGHTS).boxed().toList())
                        .setIgnoreIndex(model.equals("soft") ? -100 : IGNORE)
                        .setLabelSmoothing(model.equals("masked") ? 0.0 : SMOOTHING).build());
            }
            for (int i = 0; i < 600; i++) {
                String model = List.of("index", "soft", "masked").get(i % 3);
                long time = T0 + random.nextLong(5 * 60_000L);
                double[] logits = new double[5];
                for (int c = 0; c < 5; c++) {
                    logits[c] = random.nextDouble(-6, 6);
                }
                Object target;
                if (!model.equals("soft")) {
                    int y = random.nextInt(5);
                    target = y;
                    if (model.equals("masked")) {
                        // Classes the model ruled out, never the label's own (its loss would be infinite).
                        for (int c = 0; c < 5; c++) {
                            if (c != y && random.nextInt(4) == 0) {
                                logits[c] = Double.NEGATIVE_INFINITY;
                            }
                        }
                    }
                } else {
                    double[] t = new double[5];
                    double sum = 0;
                    for (int c = 0; c < 5; c++) {
                        t[c] = random.nextDouble() * random.nextDouble();
                        sum += t[c];
                    }
                    List<Double> probs = new ArrayList<>();
                    for (double v : t) {
                        probs.add(v / sum);
                    }
                    target = probs;
                }
                h.pipe(prediction(model, "v1", "e" + i, time, Task.MULTICLASS, OutputKind.LOGITS, logits),
                        T0 + 5 * 60_000L);
                h.pipe(label(model, "e" + i, T0 + 5 * 60_000L + random.nextLong(30_000), target), T0 + 6 * 60_000L);
                events.computeIfAbsent(model, k -> new ArrayList<>()).add(new Event(time, logits, target));
                if (i % 37 == 0) {
                    // Some flushes mid-stream: a window then merges several partials of the same key and granule.
                    h.flushWindows();
                }
            }
            h.flushWindows();
            assertThat(h.deadLetters()).as("every event is valid, the masked ones too").isEmpty();
            int compared = 0;
            for (Duration size : List.of(Duration.ofMinutes(1), Duration.ofHours(1))) {
                WindowStore<String, ValueAndTimestamp<WindowAggregate>> store =
                        h.driver.getTimestampedWindowStore(Names.lossWindowStore(size));
                for (Map.Entry<String, List<Event>> model : events.entrySet()) {
                    Map<Long, List<Event>> byWindow = new TreeMap<>();
                    for (Event e : model.getValue()) {
                        byWindow.computeIfAbsent(e.time() - Math.floorMod(e.time(), size.toMillis()),
                                k -> new ArrayList<>()).add(e);
                    }
                    for (Map.Entry<Long, List<Event>> window : byWindow.entrySet()) {
                        for (int c = -1; c < 5; c++) {
                            String cls = c < 0 ? null : Integer.toString(c);
                            List<Event> in = select(window.getValue(), c);
                            ValueAndTimestamp<WindowAggregate> stored = store.fetch(
                                    new WindowKey(model.getKey(), "v1", cls).encode(), window.getKey());
                            if (in.isEmpty()) {
                                assertThat(stored).isNull();
                                continue;
                            }
                            var value = LossCase.evaluate(batch(model.getKey(), in));
                            double expected = value.isTextual() ? Double.NaN : value.doubleValue();
                            double actual = stored.value().mean();
                            if (Double.isNaN(expected)) {
                                assertThat(actual).as("%s %s %s", model.getKey(), cls, window.getKey()).isNaN();
                            } else {
                                assertThat(actual).as("%s %s %s", model.getKey(), cls, window.getKey())
                                        .isCloseTo(expected, within(1e-12 * Math.abs(expected)));
                            }
                            compared++;
                        }
                    }
                }
            }
            assertThat(compared).isGreaterThan(40);
        }
    }

    /** The events of a key: all of them (c < 0), or those whose target class is c (argmax for soft targets). */
    @SuppressWarnings("unchecked")
    private static List<Event> select(List<Event> events, int c) {
        if (c < 0) {
            return events;
        }
        List<Event> out = new ArrayList<>();
        for (Event e : events) {
            int cls;
            if (e.target() instanceof Integer y) {
                cls = y;
            } else {
                List<Double> t = (List<Double>) e.target();
                cls = 0;
                for (int k = 1; k < t.size(); k++) {
                    if (t.get(k) > t.get(cls)) {
                        cls = k;
                    }
                }
            }
            if (cls == c && !(e.target() instanceof Integer y && y == IGNORE)) {
                out.add(e);
            }
        }
        return out;
    }

    private static ObjectNode batch(String model, List<Event> events) {
        ObjectNode c = JSON.createObjectNode();
        c.put("loss", "cross_entropy").put("reduction", "mean")
                .put("label_smoothing", model.equals("masked") ? 0.0 : SMOOTHING);
        if (!model.equals("soft")) {
            c.put("ignore_index", IGNORE);
        }
        ArrayNode weight = c.putArray("weight");
        for (double w : WEIGHTS) {
            weight.add(w);
        }
        ArrayNode input = c.putArray("input");
        ArrayNode target = c.putArray("target");
        for (Event e : events) {
            ArrayNode row = input.addArray();
            for (double x : e.logits()) {
                row.add(x);
            }
            target.add(JSON.valueToTree(e.target()));
        }
        return c;
    }
}
