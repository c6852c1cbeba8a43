package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorInvertedResidual}'s fused block against the same block as {@link ScalarKernels}'
 * three layers, ReLU6s and Add: with and without the expansion and the residual, stride 1 and 2,
 * odd plane sizes, batches, and band heights from one row to the whole plane, and the same in the
 * whole-plane form.
 */
class VectorInvertedResidualTest {
  private static final float JUNK = 12345f;

  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  /** Weights scaled by {@code 1 / sqrt(fanIn)}, so that ReLU6 clips some values but not most. */
  private static float[] weights(Random r, int count, int fanIn) {
    float[] a = ScalarKernelsTest.randoms(r, count);
    for (int i = 0; i < a.length; i++) {
      a[i] /= (float) Math.sqrt(fanIn);
    }
    return a;
  }

  private static void check(
      Random r,
      int n,
      int c,
      int hidden,
      int oc,
      int h,
      int w,
      int stride,
      boolean expand,
      boolean residual,
      int threads) {
    InvertedResidualGeometry g = new InvertedResidualGeometry(c, hidden, oc, h, w, stride, expand);
    float[] ew = expand ? weights(r, hidden * c, c) : null;
    float[] eb = expand ? ScalarKernelsTest.randoms(r, hidden) : null;
    float[] dw = weights(r, hidden * 9, 9);
    float[] db = r.nextBoolean() ? ScalarKernelsTest.randoms(r, hidden) : null;
    float[] pw = weights(r, oc * hidden, hidden);
    float[] pb = ScalarKernelsTest.randoms(r, oc);
    float[] input = ScalarKernelsTest.randoms(r, n * g.inputSize());
    float[] inputCopy = input.clone();
    float[] res = residual ? ScalarKernelsTest.randoms(r, n * g.outputSize()) : null;

    ScalarKernels k = ScalarKernels.INSTANCE;
    float[] x = input;
    if (expand) {
      float[] e = new float[n * hidden * h * w];
      k.prepareConv2d(g.expansion(), ew, eb, Activation.RELU6).run(x, n, e);
      x = e;
    }
    Conv2dGeometry d = g.depthwise();
    float[] y = new float[n * d.outputSize()];
    k.prepareConv2d(d, dw, db, Activation.RELU6).run(x, n, y);
    float[] expected = new float[n * g.outputSize()];
    k.prepareConv2d(g.projection(), pw, pb, Activation.NONE).run(y, n, expected);
    if (residual) {
      k.add(expected, res, expected, expected.length, Activation.NONE);
    }

    for (boolean whole : new boolean[] {false, true}) {
      float[] actual = new float[n * g.outputSize() + 7];
      Arrays.fill(actual, JUNK);
      prepare(g, ew, eb, dw, db, pw, pb, threads, whole).run(input, n, actual, 0, oc, res);
      String what =
          g + " n=" + n + " residual=" + residual + " threads=" + threads + " whole=" + whole;
      VectorLayers.assertClose(expected, expected, actual, expected.length, what);
      for (int i = expected.length; i < actual.length; i++) {
        assertEquals(JUNK, actual[i], what + ": wrote past the output at " + i);
      }
      assertArrayEquals(inputCopy, input, what + ": modified its input");
    }
  }

  @Test
  void stridesOneToThreeWithAndWithoutResidualOnOddPlanes() {
    Random r = new Random(1);
    for (int hw : new int[] {1, 3, 7, 13, 31}) {
      for (int stride = 1; stride <= 3; stride++) {
        for (int threads : new int[] {1, 3, 100}) {
          boolean residual = stride == 1;
          check(r, 1, 5, 30, 5, hw, hw + 2, stride, true, residual, threads);
          check(r, 2, 3, 13, 7, hw + 1, hw, stride, true, false, threads);
          check(r, 1, 7, 7, 6, hw, hw, stride, false, hw % 2 == 1, threads);
        }
      }
    }
  }

  @Test
  void mobileNetShapesShrunk() {
    // MobileNetV2's first blocks with their channel counts, on smaller odd planes; a hidden
    // channel count above one group of the projection's K steps.
    Random r = new Random(2);
    check(r, 1, 32, 32, 16, 23, 23, 1, false, false, 2);
    check(r, 1, 16, 96, 24, 23, 21, 2, true, false, 2);
    check(r, 2, 24, 144, 24, 11, 13, 1, true, true, 2);
    check(r, 1, 24, 144, 32, 13, 11, 2, true, false, 1);
    check(r, 1, 19, 257, 19, 9, 9, 1, true, true, 4);
  }

  @Test
  void slicesOfALargerOutput() {
    Random r = new Random(3);
    InvertedResidualGeometry g = new InvertedResidualGeometry(4, 24, 5, 9, 7, 1, true);
    float[] ew = weights(r, 24 * 4, 4);
    float[] dw = weights(r, 24 * 9, 9);
    float[] pw = weights(r, 5 * 24, 24);
    float[] input = ScalarKernelsTest.randoms(r, 2 * g.inputSize());
    for (boolean whole : new boolean[] {false, true}) {
      slices(g, prepare(g, ew, null, dw, null, pw, null, 2, whole), input);
    }
  }

  private static void slices(InvertedResidualGeometry g, PreparedLayer block, float[] input) {
    float[] plain = new float[2 * g.outputSize()];
    block.run(input, 2, plain);
    int plane = 9 * 7;
    float[] wide = new float[2 * 8 * plane];
    Arrays.fill(wide, JUNK);
    block.run(input, 2, wide, 2, 8, null);
    for (int s = 0; s < 2; s++) {
      for (int ch = 0; ch < 8; ch++) {
        for (int i = 0; i < plane; i++) {
          float v = wide[(s * 8 + ch) * plane + i];
          if (ch < 2 || ch >= 7) {
            assertEquals(JUNK, v, "channel " + ch + " outside the slice was written");
          } else {
            assertEquals(plain[(s * 5 + ch - 2) * plane + i], v, "channel " + ch);
          }
        }
      }
    }
  }

  private static PreparedLayer prepare(
      InvertedResidualGeometry g,
      float[] ew,
      float[] eb,
      float[] dw,
      float[] db,
      float[] pw,
      float[] pb,
      int threads,
      boolean whole) {
    try {
      Method m =
          Class.forName("dev.stride.runtime.kernel.VectorInvertedResidual")
              .getDeclaredMethod(
                  "prepare",
                  InvertedResidualGeometry.class,
                  float[].class,
                  float[].class,
                  float[].class,
                  float[].class,
                  float[].class,
                  float[].class,
                  int.class,
                  boolean.class);
      return (PreparedLayer) m.invoke(null, g, ew, eb, dw, db, pw, pb, threads, whole);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new AssertionError(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
