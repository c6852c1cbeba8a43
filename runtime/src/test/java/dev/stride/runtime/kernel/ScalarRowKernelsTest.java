package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.reflect.Method;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scalar twins of the vector row kernels give the same bits: a linear layer's first batch-1
 * call takes them, the later ones the vector kernels, and a caller sees one result either way.
 */
class ScalarRowKernelsTest {
  private static final Class<?>[] ROW_KERNEL_PARAMETERS = {
    float[].class, int.class, float[].class, int.class, int.class, float[].class, int.class
  };

  private int nr;

  @BeforeEach
  void needsVectorModule() throws ReflectiveOperationException {
    VectorLayers.assumeVectorModule();
    java.lang.reflect.Field f =
        Class.forName("dev.stride.runtime.kernel.VectorGemm").getDeclaredField("NR");
    f.setAccessible(true);
    nr = f.getInt(null);
  }

  private static Method kernel(String type, String name) throws ReflectiveOperationException {
    Method m =
        Class.forName("dev.stride.runtime.kernel." + type)
            .getDeclaredMethod(name, ROW_KERNEL_PARAMETERS);
    m.setAccessible(true);
    return m;
  }

  private void assertSameBits(String name, int streams, int[] lengths, long seed) throws Exception {
    Method vector = kernel("VectorGemm", name);
    Method scalar = kernel("ScalarRowKernels", name);
    SplittableRandom r = new SplittableRandom(seed);
    for (int len : lengths) {
      int k = streams * len;
      int aOff = 3;
      int bOff = nr + 5; // offsets that are no multiple of a vector
      int cOff = 1;
      float[] a = VectorGemmTest.random(aOff + k, r);
      float[] b = VectorGemmTest.random(bOff + k * nr, r);
      float[] c = VectorGemmTest.random(cOff + nr + 2, r);
      float[] expected = c.clone();
      vector.invoke(null, a, aOff, b, bOff, len, expected, cOff);
      scalar.invoke(null, a, aOff, b, bOff, len, c, cOff);
      assertArrayEquals(expected, c, name + " length " + len);
    }
  }

  @Test
  void eightStreamsMatchTheVectorKernel() throws Exception {
    assertSameBits("rowKernel8", 8, new int[] {1, 3, 7, 13, 31, 100, 257}, 11);
  }

  @Test
  void rowKernelMatchesTheVectorKernel() throws Exception {
    assertSameBits("rowKernel", 1, new int[] {1, 2, 3, 4, 5, 7, 13, 31, 100, 257}, 12);
  }
}
