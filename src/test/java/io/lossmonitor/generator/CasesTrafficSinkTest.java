package io.lossmonitor.generator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The offline twin decides which label an event is scored with exactly as the join does. */
class CasesTrafficSinkTest {

    private static final long T0 = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();

    private static GeneratedRecord.LabelRecord label(int target, long time, GeneratedRecord.LabelRecord.Role role) {
        return new GeneratedRecord.LabelRecord(time, Label.newBuilder().setPredictionId("p").setModelId("m")
                .setTimestamp(Instant.ofEpochMilli(time)).setTarget(target).build(), true, role);
    }

    private static List<Integer> targets(GeneratedRecord... records) throws Exception {
        StringWriter out = new StringWriter();
        try (CasesTrafficSink sink = new CasesTrafficSink(out, Duration.ofDays(7))) {
            sink.accept(new GeneratedRecord.PredictionRecord(T0, Prediction.newBuilder().setPredictionId("p").setModelId("m")
                    .setModelVersion("v1").setTimestamp(Instant.ofEpochMilli(T0)).setTask(Task.MULTICLASS)
                    .setOutput(OutputKind.LOGITS).setScores(List.of(1.0, 2.0, 3.0, 0.5, -1.0)).build(), true, false));
            for (GeneratedRecord r : records) {
                sink.accept(r);
            }
        }
        JsonNode model = new ObjectMapper().readTree(out.toString().split("\n")[0]);
        return List.of(model.get("target").get(0).asInt());
    }

    @Test
    void aCorrectionReplacesTheFirstLabel() throws Exception {
        assertThat(targets(label(4, T0 + 100, GeneratedRecord.LabelRecord.Role.FIRST),
                label(1, T0 + 200, GeneratedRecord.LabelRecord.Role.CORRECTION))).containsExactly(1);
    }

    @Test
    void aRedeliveredFirstLabelArrivingAfterTheCorrectionDoesNotUndoIt() throws Exception {
        // Found by CrashRecoveryIT: the join keeps the newer label (an older one is a duplicate); the twin must too.
        assertThat(targets(label(4, T0 + 100, GeneratedRecord.LabelRecord.Role.FIRST),
                label(1, T0 + 200, GeneratedRecord.LabelRecord.Role.CORRECTION),
                label(4, T0 + 100, GeneratedRecord.LabelRecord.Role.DUPLICATE))).containsExactly(1);
    }
}
