package io.lossmonitor.loss;

/**
 * Picks the kernels once: the vectorised ones if this JVM resolved {@code jdk.incubator.vector} (started with
 * {@code --add-modules jdk.incubator.vector}), {@code -Dlossmonitor.vector=false} was not given, and they agree with
 * the scalar ones on a start-up check; the scalar ones otherwise. The vector class is only loaded in the first case,
 * so a JVM without the module never sees it.
 */
final class KernelChoice {

    private static String fallbackReason = "";
    static final Kernels BEST = choose();

    private KernelChoice() {
    }

    private static Kernels choose() {
        if ("false".equals(System.getProperty("lossmonitor.vector"))) {
            fallbackReason = "-Dlossmonitor.vector=false";
            return ScalarKernels.INSTANCE;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            fallbackReason = "no jdk.incubator.vector module";
            return ScalarKernels.INSTANCE;
        }
        try {
            Kernels vector = (Kernels) Class.forName("io.lossmonitor.loss.VectorKernels").getDeclaredConstructor()
                    .newInstance();
            if (agreesWithScalar(vector)) {
                return vector;
            }
            fallbackReason = "the vector kernels disagreed with the scalar ones at start-up";
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            // The incubator API changes between JDKs (the code is compiled for 21 and may run on a later one): a method
            // or constant missing at run time shows here, once, not in every loss.
            fallbackReason = "the vector kernels failed at start-up: " + e;
        }
        return ScalarKernels.INSTANCE;
    }

    /**
     * Runs every kernel on fixed rows that take each of its paths (scalar-short, one masked vector, full vectors
     * with a masked rest, a logit gap beyond the fast exp's range) and compares with the scalar loops. It runs inside
     * this class's initialisation, so neither it nor the kernels may touch a class that reads {@link Kernels#best()}
     * in its own static initialiser (CrossEntropy, BinaryCrossEntropy): that class would keep null.
     */
    static boolean agreesWithScalar(Kernels k) {
        Kernels s = ScalarKernels.INSTANCE;
        for (int n : new int[] {3, 5, 13, 16, 37, 64, 300, 301}) {
            double[] x = new double[n];
            double[] t = new double[n];
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = 3 * Math.sin(1.7 * i + n);
                t[i] = i % 3 == 0 ? 1.0 : 0.0;
                w[i] = 1 + 0.1 * i;
            }
            if (n == 37 || n == 301) {
                x[20] = x[3] - 720;
            }
            double m = s.max(x, 0, n);
            double[] outK = new double[n];
            double[] outS = new double[n];
            boolean same = k.max(x, 0, n) == m && k.finiteMax(x, 0, n) == m && k.allFinite(x, 0, n)
                    && close(k.targetTail(x, 0, n, 1), s.targetTail(x, 0, n, 1))
                    && close(k.tail(x, 0, n, m), s.tail(x, 0, n, m))
                    && close(k.shifted(x, 0, n, m, w), s.shifted(x, 0, n, m, w))
                    && close(k.bceLogitsRow(x, 0, t, 0, n, w, w, outK, 0), s.bceLogitsRow(x, 0, t, 0, n, w, w, outS, 0));
            for (int i = 0; same && i < n; i++) {
                same = close(outK[i], outS[i]);
            }
            double[] sumsK = new double[2];
            double[] sumsS = new double[2];
            k.softmaxSums(x, 0, n, m, sumsK);
            s.softmaxSums(x, 0, n, m, sumsS);
            same &= close(sumsK[0], sumsS[0]) && close(sumsK[1], sumsS[1]);
            x[n / 2] = Double.NaN;
            same &= !k.allFinite(x, 0, n) && Double.isNaN(k.finiteMax(x, 0, n)) && Double.isNaN(k.targetTail(x, 0, n, 1));
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= 1e-12 * Math.abs(b);
    }

    static String describe() {
        return BEST instanceof ScalarKernels
                ? "scalar" + (fallbackReason.isEmpty() ? "" : " (" + fallbackReason + ")")
                : "vector (" + BEST.getClass().getSimpleName() + ")";
    }
}
