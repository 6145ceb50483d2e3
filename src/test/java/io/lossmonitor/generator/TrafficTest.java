package io.lossmonitor.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.generator.GeneratedRecord.LabelRecord;
import io.lossmonitor.generator.GeneratedRecord.PredictionRecord;
import io.lossmonitor.loss.CrossEntropy;
import io.lossmonitor.loss.LossAccumulator;
import io.lossmonitor.schema.Prediction;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficTest {

    private static final long START = 1_767_225_600_000L;

    private static TrafficConfig config(long seed, long count, TrafficConfig.Drift drift) {
        return new TrafficConfig(seed, List.of(ModelProfile.parse("fraud:binary:logits"),
                ModelProfile.parse("ranker@v2:multiclass:logits:10"), ModelProfile.parse("tagger:multilabel:probabilities:5")),
                count, 100, START, Duration.ofSeconds(30), 0.05, 0.05, 0.02, 0.02, 0.02, 0.02, drift);
    }

    private static List<GeneratedRecord> all(TrafficConfig config) {
        List<GeneratedRecord> records = new ArrayList<>();
        new Traffic(config).forEachRemaining(records::add);
        return records;
    }

    private static String log(TrafficConfig config) throws Exception {
        StringWriter out = new StringWriter();
        try (JsonLinesTrafficSink sink = new JsonLinesTrafficSink(out)) {
            for (GeneratedRecord r : all(config)) {
                sink.accept(r);
            }
        }
        return out.toString();
    }

    @Test
    void theSameSeedGivesTheSameEventsAndAnotherSeedOthers() throws Exception {
        assertThat(log(config(7, 3000, null))).isEqualTo(log(config(7, 3000, null)));
        assertThat(log(config(8, 3000, null))).isNotEqualTo(log(config(7, 3000, null)));
    }

    @Test
    void recordsComeInArrivalOrderWithEveryFaultPresent() {
        List<GeneratedRecord> records = all(config(3, 6000, null));
        for (int i = 1; i < records.size(); i++) {
            assertThat(records.get(i).arrivalMs()).isGreaterThanOrEqualTo(records.get(i - 1).arrivalMs());
        }
        Map<String, Long> predictionArrival = new HashMap<>();
        int early = 0;
        int duplicates = 0;
        int corrections = 0;
        int invalid = 0;
        int predictions = 0;
        for (GeneratedRecord r : records) {
            if (!r.valid()) {
                invalid++;
            }
            if (r instanceof PredictionRecord p) {
                predictions += p.duplicate() ? 0 : 1;
                duplicates += p.duplicate() ? 1 : 0;
                predictionArrival.putIfAbsent(p.prediction().getPredictionId(), p.arrivalMs());
            }
        }
        for (GeneratedRecord r : records) {
            if (r instanceof LabelRecord l) {
                Long arrival = predictionArrival.get(l.label().getPredictionId());
                if (l.role() == LabelRecord.Role.FIRST && arrival != null && l.arrivalMs() < arrival) {
                    early++;
                }
                corrections += l.role() == LabelRecord.Role.CORRECTION ? 1 : 0;
            }
        }
        assertThat(predictions).isEqualTo(6000);
        assertThat(early).isPositive();
        assertThat(duplicates).isPositive();
        assertThat(corrections).isPositive();
        assertThat(invalid).isPositive();
    }

    @Test
    void miscalibrationDriftRaisesTheModelsLoss() {
        long driftAt = START + 30_000;
        List<GeneratedRecord> records = all(config(5, 9000, new TrafficConfig.Drift("ranker", driftAt,
                TrafficConfig.Drift.Kind.MISCALIBRATION)));
        Map<String, Prediction> predictions = new HashMap<>();
        LossAccumulator before = new LossAccumulator();
        LossAccumulator after = new LossAccumulator();
        CrossEntropy ce = CrossEntropy.builder(10).build();
        for (GeneratedRecord r : records) {
            if (r instanceof PredictionRecord p && p.valid() && p.prediction().getModelId().equals("ranker")) {
                predictions.put(p.prediction().getPredictionId(), p.prediction());
            } else if (r instanceof LabelRecord l && l.valid() && l.role() == LabelRecord.Role.FIRST
                    && predictions.containsKey(l.label().getPredictionId())) {
                Prediction p = predictions.get(l.label().getPredictionId());
                double[] scores = p.getScores().stream().mapToDouble(Double::doubleValue).toArray();
                int y = (Integer) l.label().getTarget();
                (p.getTimestamp().toEpochMilli() < driftAt ? before : after).add(ce.indexLoss(scores, 0, y), 1.0);
            }
        }
        assertThat(before.count()).isGreaterThan(500);
        assertThat(after.count()).isGreaterThan(500);
        assertThat(after.mean()).isGreaterThan(1.5 * before.mean());
    }

    @Test
    void modelProfilesParseAndRejectNonsense() {
        assertThat(ModelProfile.parse("ranker@v3:multiclass:log-probabilities:4"))
                .isEqualTo(new ModelProfile("ranker", "v3", io.lossmonitor.schema.Task.MULTICLASS,
                        io.lossmonitor.schema.OutputKind.LOG_PROBABILITIES, 4));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelProfile.parse("x:multiclass:logits"))
                .hasMessageContaining("give the number of classes");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelProfile.parse("x:binary:logits:3"))
                .hasMessageContaining("a binary model has 1 output");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelProfile.parse("x:regression:logits:3"))
                .hasMessageContaining("unknown Task 'regression'");
    }
}
