package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector kernels agree with the exact scalar ones; the test JVM runs with the vector module. */
class KernelsTest {

    private static final Kernels SCALAR = ScalarKernels.INSTANCE;
    private static final Kernels VECTOR = new VectorKernels();

    @Test
    void theBuildRunsTestsWithTheVectorKernels() {
        // surefire's argLine adds jdk.incubator.vector, so the golden cases exercise the SIMD path.
        assertThat(Kernels.best()).isInstanceOf(VectorKernels.class);
        assertThat(KernelChoice.describe()).startsWith("vector");
    }

    @Test
    void theStartUpCheckPassesTheVectorKernelsAndRejectsWrongOnes() {
        assertThat(KernelChoice.agreesWithScalar(VECTOR)).isTrue();
        for (String broken : new String[] {"targetTail", "tail", "bceLogitsRow", "finiteMax"}) {
            Kernels wrong = (Kernels) java.lang.reflect.Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                    new Class<?>[] {Kernels.class}, (proxy, method, args) -> {
                        Object result = method.invoke(VECTOR, args);
                        return method.getName().equals(broken) ? (double) result * (1 + 1e-9) : result;
                    });
            assertThat(KernelChoice.agreesWithScalar(wrong)).as(broken).isFalse();
        }
        Kernels wrongMoment = (Kernels) java.lang.reflect.Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, method, args) -> {
                    Object result = method.invoke(VECTOR, args);
                    if (method.getName().equals("softmaxSums")) {
                        ((double[]) args[4])[1] *= 1 + 1e-9;
                    }
                    return result;
                });
        assertThat(KernelChoice.agreesWithScalar(wrongMoment)).isFalse();
    }

    @Test
    void theSoftmaxSumsAgreeAndAreTheirDefinitions() {
        SplittableRandom random = new SplittableRandom(23);
        double[] vector = new double[2];
        double[] scalar = new double[2];
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + random.nextInt(300);
            double scale = new double[] {0.5, 10, 300}[trial % 3];
            double[] x = new double[n + 1];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextDouble(-scale, scale);
            }
            int off = 1;
            if (trial % 5 == 0) {
                x[off + random.nextInt(n)] = x[off + random.nextInt(n)]; // ties at the maximum count exactly
            }
            if (trial % 7 == 0) {
                x[off + random.nextInt(n)] = Double.NEGATIVE_INFINITY; // a masked class
            }
            if (trial % 11 == 0) {
                x[off + random.nextInt(n)] = -1e4; // beyond the fast exp's range
            }
            double m = SCALAR.max(x, off, n);
            if (m == Double.NEGATIVE_INFINITY) {
                continue;
            }
            // The definitions, term by term.
            double tail = -1;
            double moment = 0;
            for (int c = 0; c < n; c++) {
                double d = x[off + c] - m;
                tail += Math.exp(d);
                moment += d == Double.NEGATIVE_INFINITY ? 0 : Math.exp(d) * d;
            }
            SCALAR.softmaxSums(x, off, n, m, scalar);
            VECTOR.softmaxSums(x, off, n, m, vector);
            assertThat(scalar[0]).isCloseTo(tail, within(1e-13 * Math.max(1, tail)));
            assertThat(scalar[1]).isCloseTo(moment, within(1e-13 * Math.max(1, Math.abs(moment))));
            assertThat(vector[0]).isCloseTo(scalar[0], within(1e-14 * Math.max(1, scalar[0])));
            assertThat(vector[1]).isCloseTo(scalar[1], within(1e-13 * Math.max(1, Math.abs(scalar[1]))));
            assertThat(scalar[0]).isCloseTo(SCALAR.tail(x, off, n, m), within(1e-15 * Math.max(1, scalar[0])));
        }
    }

    @Test
    void theTargetTailIsTheMaxBasedLogPartitionAndFlagsNonFiniteScores() {
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + random.nextInt(300);
            double scale = random.nextBoolean() ? 10 : 300;
            double[] x = new double[n + 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextDouble(-scale, scale);
            }
            int off = 2;
            int t = random.nextInt(n);
            if (trial % 3 == 0) {
                x[off + t] = SCALAR.max(x, off, n) + random.nextDouble(0, 40); // a confident, correct prediction
            }
            double m = SCALAR.max(x, off, n);
            // Cross-entropy two ways: log1p of the target-relative tail, and (m - x_t) + log1p(max-relative tail).
            double reference = (m - x[off + t]) + Math.log1p(SCALAR.tail(x, off, n, m));
            for (Kernels k : new Kernels[] {SCALAR, VECTOR}) {
                double tail = k.targetTail(x, off, n, t);
                if (Double.isInfinite(tail)) {
                    assertThat(m - x[off + t]).as("only a loss past exp's range overflows").isGreaterThan(700);
                    continue;
                }
                assertThat(Math.log1p(tail)).isCloseTo(reference, within(1e-13 * Math.max(reference, 1e-300)));
            }
            assertThat(VECTOR.targetTail(x, off, n, t))
                    .isCloseTo(SCALAR.targetTail(x, off, n, t), within(1e-13 * SCALAR.targetTail(x, off, n, t)));
            double bad = switch (trial % 3) {
                case 0 -> Double.NaN;
                case 1 -> Double.NEGATIVE_INFINITY;
                default -> Double.POSITIVE_INFINITY;
            };
            x[off + random.nextInt(n)] = bad;
            assertThat(SCALAR.targetTail(x, off, n, t)).isNaN();
            assertThat(VECTOR.targetTail(x, off, n, t)).isNaN();
        }
    }

    @Test
    void vectorAndScalarAgreeOnRandomRows() {
        SplittableRandom random = new SplittableRandom(99);
        for (int trial = 0; trial < 2000; trial++) {
            int n = 1 + random.nextInt(300);
            double scale = random.nextBoolean() ? 10 : 1e4;
            double[] x = new double[n + 3];
            double[] t = new double[n + 3];
            double[] w = new double[n];
            double[] p = new double[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextDouble(-scale, scale);
                t[i] = random.nextInt(3) == 0 ? random.nextDouble() : random.nextInt(2);
            }
            for (int i = 0; i < n; i++) {
                w[i] = random.nextDouble(0, 3);
                p[i] = random.nextDouble(0, 5);
            }
            // Ties at the maximum must count exactly.
            if (trial % 5 == 0) {
                x[3 + random.nextInt(n)] = x[3 + random.nextInt(n)];
            }
            int off = 3;
            double m = SCALAR.max(x, off, n);
            assertThat(VECTOR.max(x, off, n)).isEqualTo(m);
            assertThat(VECTOR.finiteMax(x, off, n)).isEqualTo(m).isEqualTo(SCALAR.finiteMax(x, off, n));
            double tail = SCALAR.tail(x, off, n, m);
            assertThat(VECTOR.tail(x, off, n, m)).isCloseTo(tail, within(1e-14 * Math.max(1, tail)));
            double shifted = SCALAR.shifted(x, off, n, m, w);
            assertThat(VECTOR.shifted(x, off, n, m, w)).isCloseTo(shifted, within(1e-12 * Math.max(1, Math.abs(shifted))));
            double[] outScalar = new double[n];
            double[] outVector = new double[n];
            double bce = SCALAR.bceLogitsRow(x, off, t, off, n, w, p, outScalar, 0);
            assertThat(VECTOR.bceLogitsRow(x, off, t, off, n, w, p, outVector, 0))
                    .isCloseTo(bce, within(1e-12 * Math.max(1, bce)));
            for (int i = 0; i < n; i++) {
                assertThat(outVector[i]).isCloseTo(outScalar[i], within(1e-13 * Math.max(1e-300, outScalar[i]) + 1e-300));
            }
        }
    }

    @Test
    void rowsWithTermsBeyondTheFastExpRangeFallBackToTheSameSums() {
        // A logit gap beyond 708 is outside VectorExp's range: the row must take the JDK's exp, not sum garbage.
        SplittableRandom random = new SplittableRandom(17);
        for (int trial = 0; trial < 600; trial++) {
            int n = 16 + random.nextInt(200);
            double[] x = new double[n];
            int t = random.nextInt(n);
            x[t] = random.nextDouble(-50, 50);
            for (int i = 0; i < n; i++) {
                if (i != t) {
                    // Half the rows have every other term tiny too, so the far term's digits count.
                    x[i] = x[t] - (trial % 2 == 0 ? random.nextDouble(-5, 5) : random.nextDouble(690, 707));
                }
            }
            int far = (t + 1 + random.nextInt(n - 1)) % n;
            x[far] = x[t] - random.nextDouble(708.1, 760);
            double scalar = SCALAR.targetTail(x, 0, n, t);
            assertThat(VECTOR.targetTail(x, 0, n, t)).isCloseTo(scalar, within(1e-13 * scalar));
            double m = SCALAR.max(x, 0, n);
            double tail = SCALAR.tail(x, 0, n, m);
            assertThat(VECTOR.tail(x, 0, n, m)).isCloseTo(tail, within(1e-14 * Math.max(1, tail)));

            x[far] = x[t] + random.nextDouble(708.1, 760);
            scalar = SCALAR.targetTail(x, 0, n, t);
            double vector = VECTOR.targetTail(x, 0, n, t);
            if (Double.isInfinite(scalar)) {
                assertThat(vector).isInfinite();
            } else {
                assertThat(vector).isCloseTo(scalar, within(1e-13 * scalar));
            }
        }
    }

    @Test
    void tinyTailsKeepTheirValue() {
        // logits [0, 30, -5]: the tail e^-30 + e^-35 must survive (a sum of exps minus 1 would be 0).
        double[] x = new double[20];
        java.util.Arrays.fill(x, -60);
        x[1] = 30;
        x[0] = 0;
        x[2] = -5;
        double expected = Math.exp(-30) + Math.exp(-35) + 17 * Math.exp(-90);
        assertThat(VECTOR.tail(x, 0, 20, 30)).isCloseTo(expected, within(1e-15 * expected));
        assertThat(VECTOR.allFinite(x, 0, 20)).isTrue();
        x[17] = Double.NaN;
        assertThat(VECTOR.allFinite(x, 0, 20)).isFalse();
        assertThat(VECTOR.finiteMax(x, 0, 20)).isNaN();
        x[17] = Double.NEGATIVE_INFINITY;
        assertThat(VECTOR.finiteMax(x, 0, 20)).isNaN();
        x[17] = Double.POSITIVE_INFINITY;
        assertThat(VECTOR.finiteMax(x, 0, 20)).isNaN();
    }
}
