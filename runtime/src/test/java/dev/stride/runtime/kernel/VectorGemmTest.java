package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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

  private static float[] random(int n, SplittableRandom r) {
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
}
