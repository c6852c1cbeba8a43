package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.NR;
import static dev.stride.runtime.kernel.VectorGemm.VECTORS;

/**
 * Scalar twins of {@link VectorGemm#rowKernel8} and {@link VectorGemm#rowKernel}: the same sums,
 * lane for lane, in the same order and with the same fused multiply-adds, so they give the same
 * bits, for a linear layer's first batch-1 calls in a fresh JVM.
 *
 * <p>Why: until C2 has compiled a Vector API kernel, each of its vector operations is a chain of
 * calls into the API's Java fallbacks, allocating its result; a batch-1 GEMV over AlexNet's fully
 * connected weights (58 M multiply-adds) then costs hundreds of milliseconds. Plain float loops
 * cost a few bytecodes per multiply-add interpreted, and the JIT compiles them quickly.
 */
final class ScalarRowKernels {
  private ScalarRowKernels() {}

  /** As {@link VectorGemm#rowKernel8}: {@code c[cOff + j] += } eight streams of {@code len}. */
  static void rowKernel8(float[] a, int aOff, float[] b, int bOff, int len, float[] c, int cOff) {
    int step = len * NR;
    for (int j = 0; j < NR; j++) {
      float s0 = stream(a, aOff, b, bOff + j, len);
      float s1 = stream(a, aOff + len, b, bOff + step + j, len);
      float s2 = stream(a, aOff + 2 * len, b, bOff + 2 * step + j, len);
      float s3 = stream(a, aOff + 3 * len, b, bOff + 3 * step + j, len);
      float s4 = stream(a, aOff + 4 * len, b, bOff + 4 * step + j, len);
      float s5 = stream(a, aOff + 5 * len, b, bOff + 5 * step + j, len);
      float s6 = stream(a, aOff + 6 * len, b, bOff + 6 * step + j, len);
      float s7 = stream(a, aOff + 7 * len, b, bOff + 7 * step + j, len);
      c[cOff + j] += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
  }

  /** {@code sum_k b[bOff + k * NR] * a[aOff + k]}, one fused multiply-add at a time from 0. */
  private static float stream(float[] a, int aOff, float[] b, int bOff, int len) {
    float s = 0f;
    for (int k = 0; k < len; k++) {
      s = Math.fma(b[bOff + k * NR], a[aOff + k], s);
    }
    return s;
  }

  /**
   * As {@link VectorGemm#rowKernel}: with 3-vector tiles two chains (even and odd k), otherwise
   * {@link VectorGemm#rowKernelAny}'s four (k mod 4), each lane's tail on the first chain.
   */
  static void rowKernel(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff) {
    int chains = VECTORS == 3 ? 2 : 4;
    int whole = kc - kc % chains;
    for (int j = 0; j < NR; j++) {
      float c0 = c[cOff + j];
      float c1 = 0f;
      float c2 = 0f;
      float c3 = 0f;
      int k = 0;
      for (; k < whole; k += chains) {
        int bi = bOff + k * NR + j;
        c0 = Math.fma(b[bi], a[aOff + k], c0);
        c1 = Math.fma(b[bi + NR], a[aOff + k + 1], c1);
        if (chains == 4) {
          c2 = Math.fma(b[bi + 2 * NR], a[aOff + k + 2], c2);
          c3 = Math.fma(b[bi + 3 * NR], a[aOff + k + 3], c3);
        }
      }
      for (; k < kc; k++) {
        c0 = Math.fma(b[bOff + k * NR + j], a[aOff + k], c0);
      }
      c[cOff + j] = chains == 2 ? c0 + c1 : (c0 + c1) + (c2 + c3);
    }
  }
}
