package io.lossmonitor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.generator.GeneratedRecord;
import io.lossmonitor.generator.ModelProfile;
import io.lossmonitor.generator.Traffic;
import io.lossmonitor.generator.TrafficConfig;
import io.lossmonitor.topology.join.Accounting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * The join's held recent predictions change no output: the same messy traffic (duplicates, corrections, early,
 * late and unlabelled labels, invalid records, expiry, evictions at the pending cap) gives the same scored events,
 * late labels, dead letters and accounting with none held, with a budget so small that most lookups miss it and
 * entries are dropped all the time, and with the default.
 */
class RecentPredictionsTopologyTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void outputsAreTheSameWhateverTheBudget() throws Exception {
        TrafficConfig traffic = new TrafficConfig(41, Arrays.stream(ModelProfile.DEMO.split(","))
                .map(ModelProfile::parse).toList(), 1_500, 20, TopologyHarness.T0, Duration.ofSeconds(20),
                0.1, 0.1, 0.05, 0.05, 0.1, 0.02, null);
        // A short delay and a small cap, so that predictions expire and are evicted while their labels still come.
        TopologyConfig config = TopologyConfig.defaults().withMaxLabelDelay(Duration.ofSeconds(40)).withMaxPending(150);

        Outputs none = run(config.withRecentPredictionsBytes(0), traffic);
        Outputs tiny = run(config.withRecentPredictionsBytes(3_000), traffic);
        Outputs standard = run(config, traffic);

        assertThat(none.scored).hasSizeGreaterThan(500);
        assertThat(none.accounting.keySet()).anyMatch(k -> Accounting.parse(k)[2].equals(Accounting.EVICTED));
        assertThat(none.accounting.keySet()).anyMatch(k -> Accounting.parse(k)[2].equals(Accounting.CORRECTED));
        assertThat(none.late).isNotEmpty();
        assertThat(none.deadLetters).isNotEmpty();
        for (Outputs other : List.of(tiny, standard)) {
            assertThat(other.scored).hasSameSizeAs(none.scored);
            for (int i = 0; i < none.scored.size(); i++) {
                JsonNode expected = JSON.readTree(none.scored.get(i));
                JsonNode actual = JSON.readTree(other.scored.get(i));
                assertThat(sameWithinAnUlpOrTwo(expected, actual)).as("scored event %d: %s against %s", i, actual,
                        expected).isTrue();
            }
            assertThat(other.late).isEqualTo(none.late);
            assertThat(other.deadLetters).isEqualTo(none.deadLetters);
            assertThat(other.accounting).isEqualTo(none.accounting);
        }
    }

    /**
     * Equal, numbers within a few ulps. The lane sums are in a fixed order now (VectorKernels.laneSum: the first
     * failure of this test was a 1-ulp difference from them), but the JDK's vector math functions, which the kernels
     * use on machines with fewer than 8 lanes, are not specified to give the interpreter's and C2's results alike.
     */
    private static boolean sameWithinAnUlpOrTwo(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            double x = a.doubleValue();
            double y = b.doubleValue();
            return x == y || Math.abs(x - y) <= 4 * Math.ulp(Math.max(Math.abs(x), Math.abs(y)));
        }
        if (a.isContainerNode() && b.isContainerNode() && a.size() == b.size() && a.getNodeType() == b.getNodeType()) {
            if (a.isArray()) {
                for (int i = 0; i < a.size(); i++) {
                    if (!sameWithinAnUlpOrTwo(a.get(i), b.get(i))) {
                        return false;
                    }
                }
                return true;
            }
            for (var names = a.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!b.has(name) || !sameWithinAnUlpOrTwo(a.get(name), b.get(name))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private record Outputs(List<String> scored, List<String> late, List<String> deadLetters, Map<String, Long> accounting) {
    }

    private static Outputs run(TopologyConfig config, TrafficConfig traffic) throws Exception {
        try (TopologyHarness h = new TopologyHarness(config)) {
            Traffic records = new Traffic(traffic);
            while (records.hasNext()) {
                switch (records.next()) {
                    case GeneratedRecord.PredictionRecord p -> h.pipe(p.prediction(), p.arrivalMs());
                    case GeneratedRecord.LabelRecord l -> h.pipe(l.label(), l.arrivalMs());
                }
            }
            h.flushWindows();
            List<String> scored = h.scored().stream().map(Object::toString).toList();
            return new Outputs(scored, describe(h.late()), describe(h.deadLetters()), new TreeMap<>(h.accounting()));
        }
    }

    /** Key, value and headers; the topics differ per harness, so headers naming them are left out. */
    private static List<String> describe(List<TestRecord<byte[], byte[]>> records) {
        List<String> out = new ArrayList<>();
        for (TestRecord<byte[], byte[]> r : records) {
            StringBuilder s = new StringBuilder(Arrays.toString(r.key())).append(' ').append(Arrays.toString(r.value()));
            for (Header header : r.headers()) {
                String value = header.value() == null ? "null" : new String(header.value());
                if (!value.startsWith("predictions-") && !value.startsWith("labels-")) {
                    s.append(' ').append(header.key()).append('=').append(value);
                }
            }
            out.add(s.toString());
        }
        return out;
    }
}
