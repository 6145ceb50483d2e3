package io.lossmonitor.loss;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp} on 8-lane vectors, within 1 ulp for {@code |d|} up to about 708: the sums of exps are the cost of
 * softmax cross-entropy on long rows, and the JDK's vector exp (a general, branch-free library routine) took
 * 0.9-1.0 ns per element on the project's machine; this one is about half of that.
 *
 * <p>Why it is exact enough: {@code exp(d) = 2^(k/8) * exp(r)} with {@code k = round(8d/ln2)}, {@code r = d - k ln2/8}
 * in two Cody-Waite steps ({@code |r| <= ln2/16}, exact through the fma), {@code 2^(j/8)} ({@code j = k mod 8}) from
 * an 8-entry table held in one register and picked by a lane permute, and {@code expm1(r) = r q(r)} with {@code q} a
 * degree-6 near-minimax polynomial (Chebyshev fit in 200-bit arithmetic; its error is below 5e-18 relative, far
 * under half an ulp). The result {@code T + T expm1(r)} is one fma, so the rounding of the table entry (half an ulp)
 * and of that fma are what remain. {@code VectorExpTest} measures the error against {@link StrictMath#exp}.
 *
 * <p>Outside that range the lanes hold garbage: {@link #expOrInfinity} turns them into +inf (one compare and one blend
 * per vector), and the callers take the JDK's exp for the rare row that has such a term (a logit gap beyond 708, where
 * a term either overflows or is below {@code 2^-1021}).
 */
final class VectorExp {

    /** The vector shape this exp is written for: the 8-entry table is one 8-lane register. */
    static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_512;
    /** Whether this JVM's preferred vectors are that shape (AVX-512); otherwise the callers use the JDK's exp. */
    static final boolean USABLE = DoubleVector.SPECIES_PREFERRED.length() == 8 && SPECIES.length() == 8;

    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_512;
    /** 1.5 * 2^52: adding it rounds to an integer held in the low bits of the mantissa (k, two's complement). */
    private static final double SHIFT = 0x1.8p52;
    /** The largest |d| {@link #exp} takes: |k| <= 8171, so {@code 2^(k >> 3)} stays normal and so does the result. */
    static final double LIMIT = 708.0;
    private static final double EIGHT_OVER_LN2 = 0x1.71547652b82fep3;
    /** ln2/8 in two parts; the high part has 32 significant bits, so k times it is exact for any k used here. */
    private static final double LN2_8_HI = 0x1.62e42fee00000p-4;
    private static final double LN2_8_LO = 0x1.a39ef35793c76p-36;
    /** (expm1(r) / r) on |r| <= ln2/16, from the constant term up. */
    private static final double Q0 = 1.0;
    private static final double Q1 = 0x1.00000000000a2p-1;
    private static final double Q2 = 0x1.555555555559dp-3;
    private static final double Q3 = 0x1.5555554ad3d18p-5;
    private static final double Q4 = 0x1.1111110c65bbfp-7;
    private static final double Q5 = 0x1.6c1c38e12909dp-10;
    private static final double Q6 = 0x1.a01edd94e0c6ep-13;
    /** 2^(j/8), j = 0..7, correctly rounded (mpmath); {@code VectorExpTest} checks each against the definition. */
    static final double[] EXP2_EIGHTHS = {
        1.0,
        0x1.172b83c7d517bp+0,
        0x1.306fe0a31b715p+0,
        0x1.4bfdad5362a27p+0,
        0x1.6a09e667f3bcdp+0,
        0x1.8ace5422aa0dbp+0,
        0x1.ae89f995ad3adp+0,
        0x1.d5818dcfba487p+0,
    };
    private static final long[] TABLE_BITS = new long[8];

    static {
        for (int j = 0; j < 8; j++) {
            TABLE_BITS[j] = Double.doubleToRawLongBits(EXP2_EIGHTHS[j]) - ((long) j << 49);
        }
    }

    private VectorExp() {
    }

    /** {@code exp(d)} lane by lane, and +inf in the lanes outside the range (NaN stays NaN). */
    static DoubleVector expOrInfinity(DoubleVector d) {
        return exp(d).blend(Double.POSITIVE_INFINITY, d.abs().compare(VectorOperators.GT, LIMIT));
    }

    /** {@code exp(d)} lane by lane; garbage in the lanes outside the range. */
    static DoubleVector exp(DoubleVector d) {
        DoubleVector reduced = d.fma(EIGHT_OVER_LN2, SHIFT);
        DoubleVector k = reduced.sub(SHIFT);
        DoubleVector r = k.fma(DoubleVector.broadcast(SPECIES, -LN2_8_HI), d);
        r = k.fma(DoubleVector.broadcast(SPECIES, -LN2_8_LO), r);
        DoubleVector q = r.fma(Q6, Q5);
        q = q.fma(r, DoubleVector.broadcast(SPECIES, Q4));
        q = q.fma(r, DoubleVector.broadcast(SPECIES, Q3));
        q = q.fma(r, DoubleVector.broadcast(SPECIES, Q2));
        q = q.fma(r, DoubleVector.broadcast(SPECIES, Q1));
        q = q.fma(r, DoubleVector.broadcast(SPECIES, Q0));
        DoubleVector expm1 = q.mul(r);
        // The low 15 bits of `reduced` are k in two's complement; shifted left by 49 they are (k >> 3) in the exponent
        // field plus (k & 7) << 49, which the table entries have subtracted in advance: one shift scales the entry.
        LongVector bits = reduced.reinterpretAsLongs();
        LongVector entry = bits.and(7L).selectFrom(LongVector.fromArray(LONGS, TABLE_BITS, 0));
        DoubleVector scaled = entry.add(bits.lanewise(VectorOperators.LSHL, 49)).reinterpretAsDoubles();
        return scaled.fma(expm1, scaled);
    }
}
