package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorExpansion}'s zero-start 1x1 tile with bias and ReLU6 against {@link ScalarKernels}'
 * 1x1 convolution over awkward K, with B rows read in place a row's length apart, and nothing
 * written outside the tile. Runs where this JVM's tile shape has the kernel (the 4x2 execution).
 */
class VectorExpansionTest {
  private static final float JUNK = 12345f;

  @BeforeEach
  void needsKernel() throws ReflectiveOperationException {
    VectorLayers.assumeVectorModule();
    assumeTrue(
        Class.forName("dev.stride.runtime.kernel.VectorExpansion")
            .getDeclaredField("HAS_KERNEL")
            .getBoolean(null),
        "no expansion kernel for this tile shape");
  }

  @Test
  void tileMatchesScalarOneByOneConvolutionWithReluSix() throws ReflectiveOperationException {
    Method expand =
        kernel(
            "expand",
            float[].class,
            int.class,
            float[].class,
            int.class,
            int.class,
            int.class,
            float[].class,
            int.class,
            float[].class,
            int.class,
            int.class);
    int lanes = (Integer) lanes();
    int rows = 4;
    int cols = 2 * lanes;
    Random r = new Random(7);
    for (int k : new int[] {1, 3, 7, 13, 31, 100, 257}) {
      int width = cols + 5; // B and C rows longer than the tile, as the block's planes are
      float[] weight = ScalarKernelsTest.randoms(r, rows * k);
      float[] bias = ScalarKernelsTest.randoms(r, rows);
      float[] input = ScalarKernelsTest.randoms(r, k * width);
      for (int i = 0; i < input.length; i++) {
        input[i] *= 3f; // some sums above 6, some below 0
      }
      Conv2dGeometry g = new Conv2dGeometry(k, 1, width, rows, 1, width, 1, 1, 1, 1, 0, 0, 1, 1, 1);
      float[] expected = new float[rows * width];
      ScalarKernels.INSTANCE
          .prepareConv2d(g, weight, bias, Activation.RELU6)
          .run(input, 1, expected);

      float[] packed = panel(weight, rows, k);
      int biasOff = 3;
      float[] biasAt = new float[biasOff + rows];
      System.arraycopy(bias, 0, biasAt, biasOff, rows);
      int cOff = 2;
      float[] c = new float[cOff + rows * width + 1];
      Arrays.fill(c, JUNK);
      call(expand, packed, 0, input, 0, width, k, biasAt, biasOff, c, cOff, width);
      assertTile(expected, width, c, cOff, width, rows, cols, k);
    }
  }

  @Test
  void addSumsAddsScalarOneByOneConvolutionToWhatTheTileHeld() throws ReflectiveOperationException {
    Method addSums =
        kernel(
            "addSums",
            float[].class,
            int.class,
            float[].class,
            int.class,
            int.class,
            int.class,
            float[].class,
            int.class,
            int.class);
    int lanes = (Integer) lanes();
    int rows = 4;
    int cols = 2 * lanes;
    Random r = new Random(11);
    for (int k : new int[] {1, 3, 7, 13, 31, 100, 257}) {
      int ldb = cols + 3; // B rows further apart than C rows, as the projection's are not
      int ldc = cols + 5;
      float[] weight = ScalarKernelsTest.randoms(r, rows * k);
      int bOff = 4;
      float[] input = ScalarKernelsTest.randoms(r, bOff + k * ldb);
      float[] plane = Arrays.copyOfRange(input, bOff, bOff + k * ldb);
      Conv2dGeometry g = new Conv2dGeometry(k, 1, ldb, rows, 1, ldb, 1, 1, 1, 1, 0, 0, 1, 1, 1);
      float[] conv = new float[rows * ldb];
      ScalarKernels.INSTANCE.prepareConv2d(g, weight, null, Activation.NONE).run(plane, 1, conv);

      float[] packed = panel(weight, rows, k);
      int cOff = 2;
      float[] c = new float[cOff + rows * ldc + 1];
      Arrays.fill(c, JUNK);
      float[] start = ScalarKernelsTest.randoms(r, rows * cols);
      float[] expected = new float[rows * cols];
      for (int row = 0; row < rows; row++) {
        for (int j = 0; j < cols; j++) {
          c[cOff + row * ldc + j] = start[row * cols + j];
          expected[row * cols + j] = start[row * cols + j] + conv[row * ldb + j];
        }
      }
      call(addSums, packed, 0, input, bOff, ldb, k, c, cOff, ldc);
      assertTile(expected, cols, c, cOff, ldc, rows, cols, k);
    }
  }

  private static Method kernel(String name, Class<?>... params)
      throws ReflectiveOperationException {
    return Class.forName("dev.stride.runtime.kernel.VectorExpansion")
        .getDeclaredMethod(name, params);
  }

  private static void call(Method kernel, Object... args) throws ReflectiveOperationException {
    try {
      kernel.invoke(null, args);
    } catch (InvocationTargetException e) {
      throw new AssertionError(e.getCause());
    }
  }

  /** A {@code rows x k} weight as the kernels' panel: {@code k}-major, the rows within. */
  private static float[] panel(float[] weight, int rows, int k) {
    float[] packed = new float[rows * k];
    for (int kk = 0; kk < k; kk++) {
      for (int row = 0; row < rows; row++) {
        packed[kk * rows + row] = weight[row * k + kk];
      }
    }
    return packed;
  }

  /**
   * The tile's {@code rows x cols} in {@code c} (rows {@code ldc} apart from {@code cOff}) against
   * {@code expected} (rows {@code expectedLd} apart), and {@link #JUNK} left past each row's tile
   * columns and before and after the tile.
   */
  private static void assertTile(
      float[] expected, int expectedLd, float[] c, int cOff, int ldc, int rows, int cols, int k) {
    for (int row = 0; row < rows; row++) {
      float[] want = Arrays.copyOfRange(expected, row * expectedLd, row * expectedLd + cols);
      float[] got = Arrays.copyOfRange(c, cOff + row * ldc, cOff + row * ldc + cols);
      VectorLayers.assertClose(want, want, got, cols, "k=" + k + " row " + row);
      for (int j = cols; j < ldc && cOff + row * ldc + j < c.length; j++) {
        assertEquals(JUNK, c[cOff + row * ldc + j], "k=" + k + ": wrote past the tile");
      }
    }
    assertEquals(JUNK, c[0], "wrote before the tile");
    assertEquals(JUNK, c[c.length - 1], "wrote after the tile");
  }

  private static Object lanes() throws ReflectiveOperationException {
    return Class.forName("dev.stride.runtime.kernel.VectorGemm").getDeclaredField("L").get(null);
  }
}
