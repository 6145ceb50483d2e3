package io.lossmonitor.bench;

import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.events.PredictionReader;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding one Prediction body (no wire-format header) with C scores: the hand-written {@link PredictionReader}
 * into {@code double[]} against Avro's generated-class reader, which boxes every score into a {@code List<Double>}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class DecodeBenchmark {

    @Param({"10", "100", "1000"})
    public int classes;

    private byte[] body;
    private PredictionReader primitive;
    private SpecificDatumReader<Prediction> generated;
    private BinaryDecoder reuse;

    @Setup
    public void setUp() throws IOException {
        SplittableRandom random = new SplittableRandom(1);
        List<Double> scores = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            scores.add(random.nextDouble(-5, 5));
        }
        Prediction prediction = Prediction.newBuilder().setPredictionId("0f8c2a6e-3b1d-4c1e-9d55-1c0c8b1f2a77")
                .setModelId("ranker").setModelVersion("2026-11-01").setTimestamp(Instant.ofEpochMilli(1_700_000_000_000L))
                .setTask(Task.MULTICLASS).setOutput(OutputKind.LOGITS).setScores(scores).setSegments(Map.of("country", "DE"))
                .build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new SpecificDatumWriter<Prediction>(Prediction.getClassSchema()).write(prediction, encoder);
        encoder.flush();
        body = out.toByteArray();
        primitive = new PredictionReader(Prediction.getClassSchema());
        generated = new SpecificDatumReader<>(Prediction.getClassSchema(), Prediction.getClassSchema(),
                SpecificData.getForClass(Prediction.class));
    }

    @Benchmark
    public PredictionEvent primitiveReader() throws IOException {
        reuse = DecoderFactory.get().binaryDecoder(body, reuse);
        return primitive.read(null, reuse);
    }

    @Benchmark
    public Prediction generatedReader() throws IOException {
        reuse = DecoderFactory.get().binaryDecoder(body, reuse);
        return generated.read(null, reuse);
    }
}
