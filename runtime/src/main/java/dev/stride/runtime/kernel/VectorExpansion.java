package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.L;
import static dev.stride.runtime.kernel.VectorGemm.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The inverted-residual block's 1x1 expansion as one micro-kernel call per tile: {@code c[r][j] =
 * relu6(sum_k a[k][r] * b[k][j] + bias[r])} over the whole of K, with the sums started at zero in
 * registers and the bias and ReLU6 applied before the one store.
 *
 * <p>With MobileNetV2's 16 to 96 input channels the expansion's K is so short that {@link
 * VectorGemm#directKernel}, which adds to {@code c}, spends as much on zeroing {@code c}, loading
 * and storing its sums and the separate bias + ReLU6 pass over them as on its FMAs. The sums here
 * are the same FMAs in the same order from the same zero, and the output pass the same vector
 * operations as {@link VectorGemm#biasActivate}, so every value is bit for bit what the layer path
 * computes.
 *
 * <p>Only the tile shape {@link GemmGeometry} picks for 16 vector registers has such a kernel;
 * {@link #HAS_KERNEL} says whether this JVM's shape is that one, and callers otherwise keep the
 * general kernel.
 */
final class VectorExpansion {
  /** Whether {@link #expand} and {@link #sums} run for this JVM's tile shape. */
  static final boolean HAS_KERNEL = VectorGemm.MR == 4 && VectorGemm.VECTORS == 2;

  private VectorExpansion() {}

  /**
   * {@code c[cOff + r * ldc + j] = relu6(sum_{k < kc} a[aOff + k * 4 + r] * b[bOff + k * ldb + j] +
   * bias[biasOff + r])} for {@code r < 4, j < 2 * L}: a 4 x 2 tile with B rows read in place {@code
   * ldb} floats apart.
   */
  static void expand(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int ldb,
      int kc,
      float[] bias,
      int biasOff,
      float[] c,
      int cOff,
      int ldc) {
    tile(a, aOff, b, bOff, ldb, kc, false, true, bias, biasOff, c, cOff, ldc);
  }

  /**
   * {@code c[cOff + r * ldc + j] = sum_{k < kc} a[aOff + k * 4 + r] * b[bOff + k * ldb + j]} for
   * {@code r < 4, j < 2 * L}: the same tile without bias or activation, storing its sums over
   * whatever {@code c} held. The Winograd GEMM's first K block, which otherwise zeroes its {@code
   * M} block and loads the zeros back.
   */
  static void sums(
      float[] a, int aOff, float[] b, int bOff, int ldb, int kc, float[] c, int cOff, int ldc) {
    tile(a, aOff, b, bOff, ldb, kc, false, false, null, 0, c, cOff, ldc);
  }

  /**
   * {@code c[cOff + r * ldc + j] += sum_{k < kc} a[aOff + k * 4 + r] * b[bOff + k * ldb + j]} for
   * {@code r < 4, j < 2 * L}: {@link VectorGemm#directKernel}'s 4 x 2 tile for B rows {@code ldb}
   * floats apart, stepping B's offset instead of reading it from a table (the inverted-residual
   * block's projection). Same sums in the same order.
   */
  static void addSums(
      float[] a, int aOff, float[] b, int bOff, int ldb, int kc, float[] c, int cOff, int ldc) {
    tile(a, aOff, b, bOff, ldb, kc, true, false, null, 0, c, cOff, ldc);
  }

  /**
   * The 4 x 2 tile of {@link #expand} ({@code relu6}), {@link #sums} and {@link #addSums} ({@code
   * add}: the sums start from {@code c}): one loop for all, the choice taken once per tile.
   */
  private static void tile(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int ldb,
      int kc,
      boolean add,
      boolean relu6,
      float[] bias,
      int biasOff,
      float[] c,
      int cOff,
      int ldc) {
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    if (add) {
      c00 = FloatVector.fromArray(SPECIES, c, cOff);
      c01 = FloatVector.fromArray(SPECIES, c, cOff + L);
      c10 = FloatVector.fromArray(SPECIES, c, cOff + ldc);
      c11 = FloatVector.fromArray(SPECIES, c, cOff + ldc + L);
      c20 = FloatVector.fromArray(SPECIES, c, cOff + 2 * ldc);
      c21 = FloatVector.fromArray(SPECIES, c, cOff + 2 * ldc + L);
      c30 = FloatVector.fromArray(SPECIES, c, cOff + 3 * ldc);
      c31 = FloatVector.fromArray(SPECIES, c, cOff + 3 * ldc + L);
    }
    // A's index is the loop's and B's is stepped beside it: computing both from k (k * ldb) left
    // C2 short of general registers, spilling ldb and aOff to the stack every step (see
    // docs/performance-notes.md).
    int aEnd = aOff + 4 * kc;
    int bi = bOff;
    for (int ai = aOff; ai < aEnd; ai += 4) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      bi += ldb;
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
    }
    if (!relu6) {
      int o = cOff;
      c00.intoArray(c, o);
      c01.intoArray(c, o + L);
      o += ldc;
      c10.intoArray(c, o);
      c11.intoArray(c, o + L);
      o += ldc;
      c20.intoArray(c, o);
      c21.intoArray(c, o + L);
      o += ldc;
      c30.intoArray(c, o);
      c31.intoArray(c, o + L);
      return;
    }
    // Written out per vector, not through a helper taking a FloatVector: one not inlined would
    // box it (see VectorGemm.biasActivate).
    int o = cOff;
    float bv = bias[biasOff];
    FloatVector v = c00.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o);
    v = c01.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o + L);
    o += ldc;
    bv = bias[biasOff + 1];
    v = c10.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o);
    v = c11.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o + L);
    o += ldc;
    bv = bias[biasOff + 2];
    v = c20.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o);
    v = c21.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o + L);
    o += ldc;
    bv = bias[biasOff + 3];
    v = c30.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o);
    v = c31.add(bv);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, o + L);
  }
}
