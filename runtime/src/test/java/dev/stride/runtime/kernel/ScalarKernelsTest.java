package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ScalarKernels} against hand-computed cases and against {@link NaiveReference}. */
class ScalarKernelsTest {
  /** The one tolerance: relative to the largest magnitude in the reference output. */
  static final double TOLERANCE = 1e-5;

  static final int[] AWKWARD = {1, 3, 7, 13, 31};

  final Kernels k = ScalarKernels.INSTANCE;

  static void assertClose(float[] expected, float[] actual, int length, String what) {
    double scale = 1e-6;
    for (int i = 0; i < length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    for (int i = 0; i < length; i++) {
      boolean bothNaN = Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
      if (!bothNaN
          && expected[i] != actual[i]
          && !(Math.abs(expected[i] - actual[i]) <= TOLERANCE * scale)) {
        fail(what + ": at " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }

  static float[] randoms(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian());
    }
    return a;
  }

  /** Output buffers longer than needed, filled with junk: kernels must write only their prefix. */
  static float[] junk(int n) {
    float[] a = new float[n + 5];
    Arrays.fill(a, 12345f);
    return a;
  }

  // ---- conv2d ----

  @Test
  void conv2dHandComputed() {
    float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // (1, 1, 3, 3)
    float[] w = {1, 0, 0, 1}; // (1, 1, 2, 2): main diagonal
    Conv2dGeometry g = new Conv2dGeometry(1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1);
    float[] out = new float[4];
    k.conv2d(in, 1, g, w, new float[] {0.5f}, out);
    assertArrayEquals(new float[] {6.5f, 8.5f, 12.5f, 14.5f}, out);
  }

  @Test
  void conv2dZeroPaddingContributesNothing() {
    float[] in = {1, 2, 3, 4}; // (1, 1, 2, 2)
    float[] w = new float[9];
    Arrays.fill(w, 1f); // 3x3 box, pad 1 on every side: each output sees all four inputs
    Conv2dGeometry g = new Conv2dGeometry(1, 2, 2, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    float[] out = new float[4];
    k.conv2d(in, 1, g, w, null, out);
    assertArrayEquals(new float[] {10, 10, 10, 10}, out);
  }

  @Test
  void conv2dAsymmetricPaddingShiftsOutput() {
    float[] in = {1, 2, 3, 4}; // (1, 1, 2, 2)
    // 1x1 kernel, one padding row on top and one column on the left: (1, 1, 3, 3)
    Conv2dGeometry g = new Conv2dGeometry(1, 2, 2, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    float[] out = new float[9];
    k.conv2d(in, 1, g, new float[] {2}, new float[] {1}, out);
    assertArrayEquals(new float[] {1, 1, 1, 1, 3, 5, 1, 7, 9}, out);
  }

  @Test
  void conv2dGroupsSeeOnlyTheirChannels() {
    float[] in = {1, 10}; // (1, 2, 1, 1)
    // groups = 2: output 0 sees channel 0 only, output 1 channel 1 only
    Conv2dGeometry g = new Conv2dGeometry(2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 2);
    float[] out = new float[2];
    k.conv2d(in, 1, g, new float[] {3, 5}, null, out);
    assertArrayEquals(new float[] {3, 50}, out);
  }

  @Test
  void conv2dMatchesNaiveOverAwkwardSizes() {
    Random r = new Random(42);
    int cases = 0;
    for (int size : AWKWARD) {
      for (int trial = 0; trial < 60; trial++) {
        int h = size;
        int w = AWKWARD[r.nextInt(AWKWARD.length)];
        int groups = 1 + r.nextInt(3);
        int c = groups * (1 + r.nextInt(3));
        int oc = groups * (1 + r.nextInt(3));
        int kh = 1 + r.nextInt(5);
        int kw = 1 + r.nextInt(5);
        int sh = 1 + r.nextInt(3);
        int sw = 1 + r.nextInt(3);
        int dh = 1 + r.nextInt(3);
        int dw = 1 + r.nextInt(3);
        int top = r.nextInt(4);
        int bottom = r.nextInt(4);
        int left = r.nextInt(4);
        int right = r.nextInt(4);
        int n = 1 + r.nextInt(2);
        int spanH = h + top + bottom - dh * (kh - 1) - 1;
        int spanW = w + left + right - dw * (kw - 1) - 1;
        if (spanH < 0 || spanW < 0) {
          continue;
        }
        int oh = spanH / sh + 1;
        int ow = spanW / sw + 1;
        float[] in = randoms(r, n * c * h * w);
        float[] weight = randoms(r, oc * (c / groups) * kh * kw);
        float[] bias = r.nextBoolean() ? randoms(r, oc) : null;
        float[] expected =
            NaiveReference.conv2d(
                in, n, c, h, w, weight, bias, oc, kh, kw, sh, sw, top, bottom, left, right, dh, dw,
                groups);
        Conv2dGeometry g =
            new Conv2dGeometry(c, h, w, oc, oh, ow, kh, kw, sh, sw, top, left, dh, dw, groups);
        float[] out = junk(n * g.outputSize());
        k.conv2d(in, n, g, weight, bias, out);
        assertClose(expected, out, expected.length, "conv2d " + g + " n=" + n);
        assertEquals(12345f, out[expected.length], "wrote past the output");
        cases++;
      }
    }
    assertTrue(cases > 150, "only " + cases + " conv cases ran");
  }

  // ---- pooling ----

  @Test
  void maxPoolPaddingNeverWins() {
    float[] in = new float[16]; // (1, 1, 4, 4), all negative, so a zero from padding would win
    for (int i = 0; i < 16; i++) {
      in[i] = -(i + 1);
    }
    Pool2dGeometry g = new Pool2dGeometry(1, 4, 4, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1);
    float[] out = new float[4];
    k.maxPool2d(in, 1, g, out);
    assertArrayEquals(new float[] {-1, -2, -5, -6}, out);
  }

  @Test
  void maxPoolPropagatesNaN() {
    float[] in = {1, Float.NaN, 3, 4};
    Pool2dGeometry g = new Pool2dGeometry(1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0);
    float[] out = new float[1];
    k.maxPool2d(in, 1, g, out);
    assertTrue(Float.isNaN(out[0]));
  }

  @Test
  void avgPoolDivisorCountsPaddingOrNot() {
    float[] ones = new float[9];
    Arrays.fill(ones, 1f); // (1, 1, 3, 3); kernel 3, stride 2, pad 1: every window has 4 of 9 cells
    Pool2dGeometry g = new Pool2dGeometry(1, 3, 3, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1);
    float[] out = new float[4];
    k.avgPool2d(ones, 1, g, true, out);
    for (float v : out) {
      assertEquals(4f / 9f, v, 1e-7);
    }
    k.avgPool2d(ones, 1, g, false, out);
    assertArrayEquals(new float[] {1, 1, 1, 1}, out);
  }

  @Test
  void avgPoolCeilModeWindowBeyondPaddingIsNotCounted() {
    // (1, 1, 4, 4) = 0..15, kernel 3, stride 2, no padding, ceil mode: 2 x 2 outputs; the last
    // window in each direction covers 2 cells, and PyTorch divides by what it covers, not by 9.
    float[] in = new float[16];
    for (int i = 0; i < 16; i++) {
      in[i] = i;
    }
    assertEquals(2, NaiveReference.poolOut(4, 3, 2, 0, 0, true));
    Pool2dGeometry g = new Pool2dGeometry(1, 4, 4, 2, 2, 3, 3, 2, 2, 0, 0, 0, 0);
    float[] out = new float[4];
    k.avgPool2d(in, 1, g, true, out);
    float topLeft = (0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9f;
    float topRight = (2 + 3 + 6 + 7 + 10 + 11) / 6f;
    float bottomLeft = (8 + 9 + 10 + 12 + 13 + 14) / 6f;
    float bottomRight = (10 + 11 + 14 + 15) / 4f;
    assertArrayEquals(new float[] {topLeft, topRight, bottomLeft, bottomRight}, out, 1e-6f);
  }

  @Test
  void avgPoolCeilModeWithPaddingDividesByWindowClippedToPaddedInput() {
    // (1, 1, 6, 6) ones, kernel 3, stride 2, pad 1, ceil mode: 4 x 4. The last window starts at 5
    // and is clipped to 6 + 1: it spans 2 padded rows (divisor 2 per side) but 1 input row.
    float[] ones = new float[36];
    Arrays.fill(ones, 1f);
    assertEquals(4, NaiveReference.poolOut(6, 3, 2, 1, 1, true));
    Pool2dGeometry g = new Pool2dGeometry(1, 6, 6, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1);
    float[] out = new float[16];
    k.avgPool2d(ones, 1, g, true, out);
    assertEquals(4f / 9f, out[0], 1e-7); // corner: 2 x 2 input cells of a 3 x 3 padded window
    assertEquals(1f / 4f, out[15], 1e-7); // last: 1 x 1 input cell of a 2 x 2 padded window
    assertEquals(2f / 6f, out[3], 1e-7); // top right: 2 x 1 of 3 x 2
    k.avgPool2d(ones, 1, g, false, out);
    for (float v : out) {
      assertEquals(1f, v);
    }
  }

  @Test
  void poolingMatchesNaiveOverAwkwardSizes() {
    Random r = new Random(7);
    int cases = 0;
    for (int size : AWKWARD) {
      for (int trial = 0; trial < 60; trial++) {
        int h = size;
        int w = AWKWARD[r.nextInt(AWKWARD.length)];
        int kh = 1 + r.nextInt(Math.min(h, 5));
        int kw = 1 + r.nextInt(Math.min(w, 5));
        int sh = 1 + r.nextInt(3);
        int sw = 1 + r.nextInt(3);
        // PyTorch allows at most half the kernel as padding on each side.
        int top = r.nextInt(kh / 2 + 1);
        int bottom = r.nextInt(kh / 2 + 1);
        int left = r.nextInt(kw / 2 + 1);
        int right = r.nextInt(kw / 2 + 1);
        boolean ceil = r.nextBoolean();
        int oh = NaiveReference.poolOut(h, kh, sh, top, bottom, ceil);
        int ow = NaiveReference.poolOut(w, kw, sw, left, right, ceil);
        int c = 1 + r.nextInt(3);
        int n = 1 + r.nextInt(2);
        Pool2dGeometry g =
            new Pool2dGeometry(c, h, w, oh, ow, kh, kw, sh, sw, top, bottom, left, right);
        float[] in = randoms(r, n * c * h * w);
        String what = g + " ceil=" + ceil;

        float[] out = junk(n * g.outputSize());
        k.maxPool2d(in, n, g, out);
        float[] expected = NaiveReference.maxPool2d(in, n * c, h, w, g);
        assertArrayEquals(expected, Arrays.copyOf(out, expected.length), "maxPool " + what);
        assertEquals(12345f, out[expected.length]);

        for (boolean include : new boolean[] {true, false}) {
          out = junk(n * g.outputSize());
          k.avgPool2d(in, n, g, include, out);
          expected = NaiveReference.avgPool2d(in, n * c, h, w, g, include);
          assertClose(expected, out, expected.length, "avgPool include=" + include + " " + what);
          assertEquals(12345f, out[expected.length]);
        }
        cases++;
      }
    }
    assertEquals(300, cases);
  }

  @Test
  void globalAvgPoolAveragesEachPlane() {
    float[] in = {1, 2, 3, 4, 10, 20, 30, 40}; // (1, 2, 2, 2)
    float[] out = new float[2];
    k.globalAvgPool(in, 1, 2, 4, out);
    assertArrayEquals(new float[] {2.5f, 25f}, out);
  }

  // ---- elementwise and per-feature ----

  @Test
  void batchNormHandComputed() {
    float[] x = {1, 3, 10, 20}; // (1, 2, 2): channel 0 = {1, 3}, channel 1 = {10, 20}
    float[] mean = {2, 10};
    float[] var = {4, 1};
    float[] weight = {1, 2};
    float[] bias = {0, 1};
    k.batchNorm(x, 1, 2, 2, mean, var, weight, bias, 0.0);
    assertArrayEquals(new float[] {-0.5f, 0.5f, 1f, 21f}, x, 1e-6f);
  }

  @Test
  void batchNormMatchesTextbookFormula() {
    Random r = new Random(3);
    for (int c : AWKWARD) {
      for (int spatial : new int[] {1, 7, 31}) {
        int n = 2;
        float[] x = randoms(r, n * c * spatial);
        float[] mean = randoms(r, c);
        float[] var = randoms(r, c);
        for (int i = 0; i < c; i++) {
          var[i] = Math.abs(var[i]) + 0.01f;
        }
        float[] weight = randoms(r, c);
        float[] bias = randoms(r, c);
        float[] expected =
            NaiveReference.batchNorm(x, n, c, spatial, mean, var, weight, bias, 1e-5);
        k.batchNorm(x, n, c, spatial, mean, var, weight, bias, 1e-5);
        assertClose(expected, x, x.length, "batchNorm c=" + c + " spatial=" + spatial);
      }
    }
  }

  @Test
  void activations() {
    float[] x = {-2, -0f, 0, 3, Float.NaN, 99};
    k.relu(x, 5); // the last element is outside the length and must stay
    assertArrayEquals(new float[] {0, -0f, 0, 3, Float.NaN, 99}, x);

    float[] s = {0, 100, -100, 2};
    k.sigmoid(s, 4);
    assertArrayEquals(
        new float[] {0.5f, 1f, (float) (1 / (1 + Math.exp(100))), (float) (1 / (1 + Math.exp(-2)))},
        s);

    float[] t = {0, 1, -20};
    k.tanh(t, 3);
    assertArrayEquals(new float[] {0, (float) Math.tanh(1), -1}, t);
  }

  @Test
  void softmaxSumsToOneAndIsStable() {
    float[] x = {1, 2, 3, 1000, 1001, 1002, -5, -5, -5}; // (3, 3)
    k.softmax(x, 3, 3);
    for (int row = 0; row < 3; row++) {
      double sum = 0;
      for (int i = 0; i < 3; i++) {
        assertTrue(x[row * 3 + i] > 0 && x[row * 3 + i] < 1, "row " + row);
        sum += x[row * 3 + i];
      }
      assertEquals(1.0, sum, 1e-6);
    }
    double e = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertArrayEquals(
        new float[] {
          (float) (Math.exp(1) / e), (float) (Math.exp(2) / e), (float) (Math.exp(3) / e)
        },
        Arrays.copyOf(x, 3),
        1e-7f);
    // Shifting the inputs by 999 must not change the result: the max is subtracted first.
    assertArrayEquals(Arrays.copyOf(x, 3), Arrays.copyOfRange(x, 3, 6), 1e-7f);
    assertArrayEquals(new float[] {1f / 3, 1f / 3, 1f / 3}, Arrays.copyOfRange(x, 6, 9), 1e-7f);
  }

  @Test
  void linearHandComputed() {
    float[] in = {1, 1, 2, 0}; // (2, 2)
    float[] w = {1, 2, 3, 4}; // (2, 2) = (out, in)
    float[] out = new float[4];
    k.linear(in, 2, 2, w, new float[] {0.5f, -0.5f}, 2, out);
    assertArrayEquals(new float[] {3.5f, 6.5f, 2.5f, 5.5f}, out);
  }

  @Test
  void linearMatchesNaiveOverAwkwardSizes() {
    Random r = new Random(11);
    for (int f : AWKWARD) {
      for (int of : AWKWARD) {
        int n = 1 + r.nextInt(3);
        float[] in = randoms(r, n * f);
        float[] w = randoms(r, of * f);
        float[] b = r.nextBoolean() ? randoms(r, of) : null;
        float[] expected = NaiveReference.linear(in, n, f, w, b, of);
        float[] out = junk(n * of);
        k.linear(in, n, f, w, b, of, out);
        assertClose(expected, out, expected.length, "linear " + f + " -> " + of);
        assertEquals(12345f, out[expected.length]);
      }
    }
  }

  // ---- relu6, add, copyChannels, slices ----

  @Test
  void relu6ClampsAndKeepsNaN() {
    float[] x = {-1f, 0f, -0f, 3f, 6f, 6.5f, Float.NaN, Float.POSITIVE_INFINITY, 12345f};
    k.relu6(x, 8);
    assertArrayEquals(
        new float[] {0f, 0f, -0f, 3f, 6f, 6f, Float.NaN, 6f, 12345f}, x, "relu6, last untouched");
  }

  @Test
  void addAppliesTheActivationToTheSum() {
    float[] a = {1f, -2f, 3f, 5f};
    float[] b = {2f, 1f, 4f, 7f};
    float[] out = junk(3);
    k.add(a, b, out, 3, Activation.RELU6);
    assertArrayEquals(new float[] {3f, 0f, 6f, 12345f}, Arrays.copyOf(out, 4));
    k.add(a, b, a, 4, Activation.NONE);
    assertArrayEquals(new float[] {3f, -1f, 7f, 12f}, a);
  }

  @Test
  void copyChannelsWritesOnlyItsSlice() {
    // src (2, 2, 3) into channels [1, 3) of (2, 4, 3).
    float[] src = new float[12];
    for (int i = 0; i < src.length; i++) {
      src[i] = i;
    }
    float[] dst = junk(24);
    k.copyChannels(src, 2, 2, 3, dst, 1, 4);
    float j = 12345f;
    float[] expected = {
      j, j, j, 0, 1, 2, 3, 4, 5, j, j, j, //
      j, j, j, 6, 7, 8, 9, 10, 11, j, j, j, j, j, j, j, j
    };
    assertArrayEquals(expected, dst);
    assertThrows(
        IllegalArgumentException.class, () -> k.copyChannels(src, 2, 2, 3, dst, 3, 4), "3 + 2 > 4");
  }

  @Test
  void unfusedLayersWriteSlicesAndAddResiduals() {
    Random r = new Random(9);
    Conv2dGeometry g = new Conv2dGeometry(3, 7, 7, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1);
    float[] weight = randoms(r, g.weightSize());
    float[] bias = randoms(r, 5);
    PreparedLayer plain = k.prepareConv2d(g, weight, bias, Activation.NONE);
    float[] lw = randoms(r, 13 * 7);
    PreparedLayer plainLinear = k.prepareLinear(13, 7, lw, null, Activation.NONE);
    for (Activation act : Activation.values()) {
      PreparedLayer layer = k.prepareConv2d(g, weight, bias, act);
      PreparedLayer linear = k.prepareLinear(13, 7, lw, null, act);
      for (int n : new int[] {1, 3}) {
        for (boolean res : new boolean[] {false, true}) {
          VectorFusedOutputTest.compare(
              r, layer, plain, n, g.inputSize(), 5, 16, 2, 9, res, act, "scalar conv");
          VectorFusedOutputTest.compare(
              r, layer, plain, n, g.inputSize(), 5, 16, 0, 5, res, act, "scalar conv");
          VectorFusedOutputTest.compare(
              r, linear, plainLinear, n, 13, 7, 1, 1, 8, res, act, "scalar linear");
        }
      }
    }
  }
}
