package dev.stride.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, sigmoid and tanh on {@code FloatVector.SPECIES_PREFERRED} vectors from IEEE arithmetic alone
 * (add, mul, fma, div, converts), after Cephes' {@code expf} and {@code tanhf}: within a few ulp of
 * the exact value.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP / TANH)}: on JDK 17 those are SVML intrinsics in
 * C2-compiled code but per-lane {@code Math} calls in the interpreter and C1, and the two disagree
 * in the last bit. A model's output then changes once its code is compiled, so a call could not
 * reproduce an earlier call's result exactly (caught by the concurrent-forward parity test). Basic
 * IEEE operations are exact in every tier, so these functions give the same bits throughout, and
 * they are about as fast as the intrinsics.
 */
final class VectorMath {
  // exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2]; ln 2 split in
  // two (C1 exact in a few bits) so that n * C1 is exact and r keeps full precision.
  private static final float LOG2E = 1.44269504088896341f;
  private static final float C1 = 0.693359375f;
  private static final float C2 = -2.12194440e-4f;
  // Clamped so that n stays in [-126, 127] and 2^n is a normal float built from bits; beyond these
  // exp is below 1.2e-38 or above 1.6e38, which no caller here can tell from 0 or infinity.
  private static final float HIGH = 88.02f;
  private static final float LOW = -87.33f;
  private static final float ROUNDER = 12582912f; // 1.5 * 2^23: its ulp is 1
  private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
  private static final float P0 = 1.9875691500e-4f;
  private static final float P1 = 1.3981999507e-3f;
  private static final float P2 = 8.3334519073e-3f;
  private static final float P3 = 4.1665795894e-2f;
  private static final float P4 = 1.6666665459e-1f;
  private static final float P5 = 5.0000001201e-1f;
  // tanh(x) = x + x^3 P(x^2) below 0.625, where 1 - 2 / (exp(2x) + 1) would lose relative accuracy.
  private static final float SMALL_TANH = 0.625f;
  private static final float T0 = -5.70498872745e-3f;
  private static final float T1 = 2.06390887954e-2f;
  private static final float T2 = -5.37397155531e-2f;
  private static final float T3 = 1.33314422036e-1f;
  private static final float T4 = -3.33332819422e-1f;

  /** The species every caller uses: the preferred one, as in {@link VectorKernels}. */
  static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;

  /** Ints of the same vector size, for building 2^n from its bits. */
  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, SPECIES.vectorShape());

  private VectorMath() {}

  /** e^x per lane; NaN stays NaN. */
  static FloatVector exp(FloatVector x) {
    x = x.min(HIGH).max(LOW); // min/max follow Math.min/max, so NaN passes through
    // n = round(x log2 e) without a float-to-int convert, which C2 on JDK 17 does not intrinsify
    // (it falls back to boxed Java code, measured at ~400 KB allocated per LeNet sample): adding
    // 1.5 * 2^23 leaves the rounded integer in the low mantissa bits, so subtracting it again
    // gives n as a float and subtracting its bit pattern gives n as an int.
    FloatVector shifted = x.mul(LOG2E).add(ROUNDER);
    FloatVector n = shifted.sub(ROUNDER);
    FloatVector r = n.fma(c(x, -C1), x);
    r = n.fma(c(x, -C2), r);
    FloatVector y =
        r.fma(c(x, P0), c(x, P1))
            .fma(r, c(x, P2))
            .fma(r, c(x, P3))
            .fma(r, c(x, P4))
            .fma(r, c(x, P5));
    y = y.fma(r.mul(r), r).add(1f);
    // The int view uses the constant INTS species: C2 intrinsifies only vectors whose species it
    // can see, and reinterpretAsInts() hides it (measured: boxed, allocating, slow).
    IntVector bits =
        ((IntVector) shifted.reinterpretShape(INTS, 0))
            .sub(IntVector.broadcast(INTS, ROUNDER_BITS - 127))
            .lanewise(VectorOperators.LSHL, IntVector.broadcast(INTS, 23));
    return y.mul((FloatVector) bits.reinterpretShape(SPECIES, 0));
  }

  /**
   * {@code 1 / (1 + e^-x)} in place over the whole vectors of {@code a[from, to)} ({@code to -
   * from} a multiple of the vector length): 0 and 1 at the extremes, NaN for NaN. {@link #exp}'s
   * operations are written out in the loop, in the same order, so the same bits.
   *
   * <p>Why written out: this loop is inlined into large callers (a convolution's whole tile loop,
   * itself inlined into the pool task that runs it), and when such a compilation reaches C2's
   * node-count cutoff, a call left in it to a method of ours that takes or returns a {@code
   * FloatVector} passes that vector boxed. Calling a vector-taking sigmoid here, it did after a
   * small change to {@link Parallel#forEach} (one more call on its inline path) moved where the
   * cutoff fell: LeNet's first convolution ran 3-4x slower on one thread, allocating ~6 GB/s of
   * boxed vectors. The Vector API's own methods are {@code @ForceInline}, which C2 inlines late
   * rather than refusing, so a loop that calls only them stays allocation-free wherever it lands.
   */
  static void sigmoidInPlace(float[] a, int from, int to) {
    for (int i = from; i < to; i += SPECIES.length()) {
      FloatVector x = FloatVector.fromArray(SPECIES, a, i).neg().min(HIGH).max(LOW);
      FloatVector shifted = x.mul(LOG2E).add(ROUNDER);
      FloatVector n = shifted.sub(ROUNDER);
      FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -C1), x);
      r = n.fma(FloatVector.broadcast(SPECIES, -C2), r);
      FloatVector y =
          r.fma(FloatVector.broadcast(SPECIES, P0), FloatVector.broadcast(SPECIES, P1))
              .fma(r, FloatVector.broadcast(SPECIES, P2))
              .fma(r, FloatVector.broadcast(SPECIES, P3))
              .fma(r, FloatVector.broadcast(SPECIES, P4))
              .fma(r, FloatVector.broadcast(SPECIES, P5));
      y = y.fma(r.mul(r), r).add(1f);
      IntVector bits =
          ((IntVector) shifted.reinterpretShape(INTS, 0))
              .sub(IntVector.broadcast(INTS, ROUNDER_BITS - 127))
              .lanewise(VectorOperators.LSHL, IntVector.broadcast(INTS, 23));
      FloatVector e = y.mul((FloatVector) bits.reinterpretShape(SPECIES, 0));
      FloatVector.broadcast(SPECIES, 1f).div(e.add(1f)).intoArray(a, i);
    }
  }

  private static FloatVector one(FloatVector x) {
    return FloatVector.broadcast(SPECIES, 1f);
  }

  /**
   * {@code value} in every lane. From the constant species, not {@code x.species()}: C2 only
   * intrinsifies vector operations whose species it can see is constant, and otherwise boxes.
   */
  private static FloatVector c(FloatVector x, float value) {
    return FloatVector.broadcast(SPECIES, value);
  }

  /** tanh per lane; odd, exactly +-1 for large |x|, NaN for NaN. */
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    // Large |x|: 1 - 2 / (e^2|x| + 1), then the sign of x.
    FloatVector large = one(x).sub(FloatVector.broadcast(SPECIES, 2f).div(exp(a.add(a)).add(1f)));
    large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
    FloatVector z = x.mul(x);
    FloatVector small =
        z.fma(T0, T1).fma(z, c(x, T2)).fma(z, c(x, T3)).fma(z, c(x, T4)).mul(z).fma(x, x);
    return large.blend(small, a.compare(VectorOperators.LT, SMALL_TANH));
  }
}
