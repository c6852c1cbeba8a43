package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GEMM kernels' contract: they always add to C (callers zero it before the first K block), so
 * no kernel branches between loading C and starting from zero; see {@code VectorGemm.microKernel}
 * for why that branch had to go.
 */
class VectorGemmTest {
  /**
   * {@code (a, aOff, b, bOff, k, c, cOff)}: the row kernels' parameters ({@code k} is {@code kc}
   * for {@code rowKernel}, the stream length for {@code rowKernel8}).
   */
  private static final Class<?>[] ROW_KERNEL_PARAMETERS = {
    float[].class, int.class, float[].class, int.class, int.class, float[].class, int.class
  };

  private int mr;
  private int nr;

  @BeforeEach
  void needsVectorModule() throws ReflectiveOperationException {
    VectorLayers.assumeVectorModule();
    mr = constant("MR");
    nr = constant("NR"); // 3 vectors: 48 with AVX-512
  }

  private static int constant(String name) throws ReflectiveOperationException {
    java.lang.reflect.Field f =
        Class.forName("dev.stride.runtime.kernel.VectorGemm").getDeclaredField(name);
    f.setAccessible(true);
    return f.getInt(null);
  }

  private static Method kernel(String name, Class<?>... types) throws ReflectiveOperationException {
    Class<?> gemm = Class.forName("dev.stride.runtime.kernel.VectorGemm");
    Method m = gemm.getDeclaredMethod(name, types);
    m.setAccessible(true);
    return m;
  }

  static float[] random(int n, SplittableRandom r) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Test
  void microKernelAddsToWhatCHolds() throws Exception {
    Method micro =
        kernel(
            "microKernel",
            float[].class,
            int.class,
            float[].class,
            int.class,
            int.class,
            float[].class,
            int.class,
            int.class);
    SplittableRandom r = new SplittableRandom(3);
    int kc = 13;
    int ldc = nr + 5; // a row stride wider than the tile: the gap must stay untouched
    float[] a = random(kc * mr, r);
    float[] b = random(kc * nr, r);
    float[] c = random(mr * ldc, r);
    float[] before = c.clone();
    micro.invoke(null, a, 0, b, 0, kc, c, 0, ldc);
    for (int row = 0; row < mr; row++) {
      for (int j = 0; j < ldc; j++) {
        double expected = before[row * ldc + j];
        if (j < nr) {
          for (int k = 0; k < kc; k++) {
            expected += (double) a[k * mr + row] * b[k * nr + j];
          }
        }
        assertEquals(expected, c[row * ldc + j], 1e-5, "row " + row + ", column " + j);
      }
    }
  }

  @Test
  void rowKernelAddsToWhatCHolds() throws Exception {
    Method rowKernel = kernel("rowKernel", ROW_KERNEL_PARAMETERS);
    SplittableRandom r = new SplittableRandom(5);
    for (int kc : new int[] {1, 2, 7}) {
      float[] a = random(kc, r);
      float[] b = random(kc * nr, r);
      float[] c = random(nr, r);
      float[] before = c.clone();
      rowKernel.invoke(null, a, 0, b, 0, kc, c, 0);
      for (int j = 0; j < nr; j++) {
        double expected = before[j];
        for (int k = 0; k < kc; k++) {
          expected += (double) a[k] * b[k * nr + j];
        }
        assertEquals(expected, c[j], 1e-5, "kc " + kc + ", column " + j);
      }
    }
  }

  @Test
  void eightStreamRowKernelAddsEachStreamsSumToWhatCHolds() throws Exception {
    Method rowKernel8 = kernel("rowKernel8", ROW_KERNEL_PARAMETERS);
    SplittableRandom r = new SplittableRandom(7);
    for (int len : new int[] {1, 3, 10}) {
      int k = 8 * len;
      int aOff = 2;
      int bOff = nr + 1; // offsets that are no multiple of a vector
      int cOff = 3;
      float[] a = random(aOff + k, r);
      float[] b = random(bOff + k * nr, r);
      float[] c = random(cOff + nr + 4, r);
      float[] before = c.clone();
      rowKernel8.invoke(null, a, aOff, b, bOff, len, c, cOff);
      for (int j = 0; j < c.length; j++) {
        double expected = before[j];
        if (j >= cOff && j < cOff + nr) {
          for (int kk = 0; kk < k; kk++) {
            expected += (double) a[aOff + kk] * b[bOff + kk * nr + j - cOff];
          }
        }
        assertEquals(expected, c[j], 1e-5, "len " + len + ", index " + j);
      }
    }
  }

  /**
   * Every tile shape's kernels, called by name whatever shape this JVM chose, against a plain sum:
   * the packed form ({@code b[k * NR + j]}) and the in-place form ({@code b[bOff + kOff[k0 + k] +
   * j]}, with row offsets that are not multiples of a vector and a k0 past the start).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "micro8x3",
        "micro6x2",
        "micro4x3",
        "micro4x2",
        "direct8x3",
        "direct6x2",
        "direct4x3",
        "direct4x2",
        "direct6x4"
      })
  void everyShapesKernelAddsItsProductToC(String name) throws Exception {
    boolean direct = name.startsWith("direct");
    String shape = name.substring(direct ? 6 : 5);
    int rows = shape.charAt(0) - '0';
    int cols = (shape.charAt(2) - '0') * constant("L");
    SplittableRandom r = new SplittableRandom(11);
    for (int kc : new int[] {1, 3, 13, 31}) {
      int ldc = cols + 3;
      int k0 = 2;
      int bOff = 5;
      float[] a = random(1 + kc * rows, r);
      // In place, row k of B starts at a gap of cols + 7 floats per k, from k0 on.
      int[] kOff = new int[k0 + kc];
      for (int k = 0; k < kOff.length; k++) {
        kOff[k] = (k - k0) * (cols + 7);
      }
      int rowStride = direct ? cols + 7 : cols;
      float[] b = random(bOff + kc * rowStride + cols, r);
      float[] c = random(rows * ldc + 1, r);
      float[] before = c.clone();
      if (direct) {
        kernel(
                name,
                float[].class,
                int.class,
                float[].class,
                int.class,
                int[].class,
                int.class,
                int.class,
                float[].class,
                int.class,
                int.class)
            .invoke(null, a, 1, b, bOff, kOff, k0, kc, c, 1, ldc);
      } else {
        kernel(
                name,
                float[].class,
                int.class,
                float[].class,
                int.class,
                int.class,
                float[].class,
                int.class,
                int.class)
            .invoke(null, a, 1, b, bOff, kc, c, 1, ldc);
      }
      for (int i = 0; i < c.length; i++) {
        double expected = before[i];
        int row = (i - 1) / ldc;
        int j = (i - 1) - row * ldc;
        if (i >= 1 && j < cols) {
          for (int k = 0; k < kc; k++) {
            expected += (double) a[1 + k * rows + row] * b[bOff + k * rowStride + j];
          }
        }
        assertEquals(expected, c[i], 1e-5, name + ", kc " + kc + ", index " + i);
      }
    }
  }
}
