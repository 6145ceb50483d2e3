package io.lossmonitor.loss;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels sum lanes in one fixed order, a tree of halves, whatever runs them: values chosen so that every
 * other order of adding them gives another result.
 */
class LaneSumTest {

    private static final int LANES = DoubleVector.SPECIES_PREFERRED.length();

    /** The tree of halves over {@code lanes}, in plain Java. */
    private static double tree(double[] lanes) {
        double[] v = lanes.clone();
        for (int half = v.length / 2; half >= 1; half /= 2) {
            double[] next = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                next[i] = v[i] + v[(i + half) % v.length];
            }
            v = next;
        }
        return v[0];
    }

    @Test
    void addsTheLanesInATreeOfHalves() {
        // Large values of opposite signs with small ones between them: sequential and tree order round differently.
        double[] lanes = new double[LANES];
        for (int i = 0; i < LANES; i++) {
            lanes[i] = i % 2 == 0 ? (i % 4 == 0 ? 1e16 : -1e16) : 1.0;
        }
        double sequential = 0;
        for (double l : lanes) {
            sequential += l;
        }
        double expected = tree(lanes);
        if (LANES >= 4) {
            assertThat(expected).as("the values tell the orders apart").isNotEqualTo(sequential);
        }
        DoubleVector v = DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, lanes, 0);
        for (int round = 0; round < 20_000; round++) {
            // Interpreted first, compiled later: the same result throughout.
            assertThat(VectorKernels.laneSum(v)).isEqualTo(expected);
        }
    }

    @Test
    void aMaskedSumCountsOnlyTheLanesSet() {
        double[] lanes = new double[LANES];
        for (int i = 0; i < LANES; i++) {
            lanes[i] = 1.5 * (i + 1);
        }
        VectorMask<Double> firstHalf = DoubleVector.SPECIES_PREFERRED.indexInRange(0, Math.max(1, LANES / 2));
        double[] kept = new double[LANES];
        for (int i = 0; i < Math.max(1, LANES / 2); i++) {
            kept[i] = lanes[i];
        }
        assertThat(VectorKernels.laneSum(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, lanes, 0), firstHalf))
                .isEqualTo(tree(kept));
    }
}
