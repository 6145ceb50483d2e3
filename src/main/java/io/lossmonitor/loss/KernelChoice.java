package io.lossmonitor.loss;

/**
 * Picks the kernels once: the vectorised ones if this JVM resolved {@code jdk.incubator.vector} (started with
 * {@code --add-modules jdk.incubator.vector}) and {@code -Dlossmonitor.vector=false} was not given; the scalar ones
 * otherwise. The vector class is only loaded in the first case, so a JVM without the module never sees it.
 */
final class KernelChoice {

    static final Kernels BEST = choose();

    private KernelChoice() {
    }

    private static Kernels choose() {
        if (!"false".equals(System.getProperty("lossmonitor.vector"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (Kernels) Class.forName("io.lossmonitor.loss.VectorKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return ScalarKernels.INSTANCE;
            }
        }
        return ScalarKernels.INSTANCE;
    }

    static String describe() {
        return BEST instanceof ScalarKernels ? "scalar" : "vector (" + BEST.getClass().getSimpleName() + ")";
    }
}
