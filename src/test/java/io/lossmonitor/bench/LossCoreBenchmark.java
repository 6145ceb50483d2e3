package io.lossmonitor.bench;

import io.lossmonitor.loss.BinaryCrossEntropy;
import io.lossmonitor.loss.CrossEntropy;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Per-row cost of the loss core on the event hot path: one softmax cross-entropy row of C logits, one multi-label
 * BCE-with-logits row of C elements. Rows cycle through a 4 MiB-bounded batch, so inputs come from cache as in a
 * stream of small events. {@link Benchmarks} prints ns per row and ns per element.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+IgnoreUnrecognizedVMOptions", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector"})
public class LossCoreBenchmark {

    @Param({"2", "10", "100", "256", "1000"})
    public int classes;

    private static final int ELEMENTS = 1 << 16;

    private int rows;
    private double[] logits;
    private double[] multiHot;
    private int[] targets;
    private int row;
    private CrossEntropy crossEntropy;
    private CrossEntropy smoothed;
    private BinaryCrossEntropy bce;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        rows = Math.max(16, ELEMENTS / classes);
        logits = new double[rows * classes];
        multiHot = new double[rows * classes];
        targets = new int[rows];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = random.nextDouble(-8, 8);
            multiHot[i] = random.nextInt(4) == 0 ? 1.0 : 0.0;
        }
        for (int r = 0; r < rows; r++) {
            targets[r] = random.nextInt(classes);
        }
        double[] weights = new double[classes];
        for (int c = 0; c < classes; c++) {
            weights[c] = random.nextDouble(0.5, 2);
        }
        crossEntropy = CrossEntropy.builder(classes).build();
        smoothed = CrossEntropy.builder(classes).weight(weights).labelSmoothing(0.1).build();
        bce = BinaryCrossEntropy.onLogits(classes, null, null);
    }

    private int nextRow() {
        int r = row + 1;
        row = r == rows ? 0 : r;
        return row;
    }

    @Benchmark
    public double softmaxCrossEntropy() {
        int r = nextRow();
        return crossEntropy.indexLoss(logits, r * classes, targets[r]);
    }

    @Benchmark
    public double softmaxCrossEntropyWeightedSmoothed() {
        int r = nextRow();
        return smoothed.indexLoss(logits, r * classes, targets[r]);
    }

    @Benchmark
    public double bceWithLogits() {
        int r = nextRow();
        return bce.rowLoss(logits, r * classes, multiHot, r * classes, null, 0);
    }
}
