package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels against {@link ScalarKernels}, the oracle, over awkward sizes.
 *
 * <p>Runs only in the surefire execution with {@code --add-modules jdk.incubator.vector}; without
 * the module every test is skipped. The class never names {@code VectorKernels} (it gets it from
 * {@link KernelProvider#loadVectorKernels()} as a {@link Kernels}), so it loads either way.
 *
 * <p>Tolerances, stated once: {@link #RELATIVE} of the largest magnitude in the scalar output for
 * anything that sums (the vector code sums in float lanes in another order, the scalar in double);
 * {@link #ABSOLUTE} for sigmoid and tanh, whose values lie in [-1, 1]; exact for ReLU and max
 * pooling, which only select values.
 */
class VectorKernelsTest {
  static final double RELATIVE = 1e-5;
  static final double ABSOLUTE = 1e-6;
  static final int[] SIZES = {1, 3, 7, 13, 31, 100, 257};

  /** Over {@code PARALLEL_GRAIN}, so that the multithreaded paths run too. */
  static final int LARGE = (1 << 17) + 13;

  static Kernels vector;
  final Kernels scalar = ScalarKernels.INSTANCE;
  final Random random = new Random(42);

  @BeforeAll
  static void loadVectorKernels() {
    assumeTrue(
        ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "runs with --add-modules jdk.incubator.vector (the vector-kernels surefire execution)");
    vector = KernelProvider.loadVectorKernels().orElseThrow();
    assertEquals("vector", vector.name());
  }

  // ---- comparison helpers ----

  /** Within {@code RELATIVE} of the largest expected magnitude; NaN only where NaN is expected. */
  static void assertRelative(float[] expected, float[] actual, String what) {
    double scale = 1e-6;
    for (float v : expected) {
      if (Float.isFinite(v)) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    assertWithin(expected, actual, RELATIVE * scale, what);
  }

  static void assertWithin(float[] expected, float[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      float e = expected[i];
      float a = actual[i];
      boolean same = e == a || (Float.isNaN(e) && Float.isNaN(a));
      if (!same && !(Math.abs(e - a) <= tolerance)) {
        fail(what + ": at " + i + " expected " + e + " but was " + a);
      }
    }
  }

  /** Gaussian values with some NaN and infinities mixed in when {@code special}. */
  float[] values(int n, double spread, boolean special) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (random.nextGaussian() * spread);
    }
    if (special && n > 2) {
      a[random.nextInt(n)] = Float.NaN;
      a[random.nextInt(n)] = Float.POSITIVE_INFINITY;
      a[random.nextInt(n)] = Float.NEGATIVE_INFINITY;
    }
    return a;
  }

  /** An output buffer 5 floats too long, filled with a marker that must survive. */
  static float[] junk(int n) {
    float[] a = new float[n + 5];
    Arrays.fill(a, 12345f);
    return a;
  }

  // ---- elementwise ----

  interface InPlace {
    void run(Kernels k, float[] x, int length);
  }

  void compareInPlace(InPlace op, double tolerance, double spread, String what) {
    List<Integer> lengths = new ArrayList<>();
    for (int s : SIZES) {
      lengths.add(s);
    }
    lengths.add(LARGE);
    for (int length : lengths) {
      for (boolean special : new boolean[] {false, true}) {
        float[] x = Arrays.copyOf(values(length, spread, special), length + 3);
        Arrays.fill(x, length, length + 3, -7f); // beyond length: must stay untouched
        float[] expected = x.clone();
        float[] actual = x.clone();
        op.run(scalar, expected, length);
        op.run(vector, actual, length);
        assertWithin(expected, actual, tolerance, what + " length " + length);
        assertEquals(-7f, actual[length + 2], what + ": wrote past length");
      }
    }
  }

  @Test
  void reluIsExact() {
    compareInPlace(Kernels::relu, 0, 1, "relu");
  }

  @Test
  void relu6IsExact() {
    compareInPlace(Kernels::relu6, 0, 1, "relu6");
    compareInPlace(Kernels::relu6, 0, 10, "relu6, many above 6");
  }

  @Test
  void addWithEveryActivation() {
    List<Integer> lengths = new ArrayList<>();
    for (int s : SIZES) {
      lengths.add(s);
    }
    lengths.add(LARGE);
    for (Activation act : Activation.values()) {
      for (int length : lengths) {
        float[] a = values(length, 4, true);
        float[] b = values(length, 4, false);
        float[] expected = junk(length);
        float[] actual = junk(length);
        scalar.add(a, b, expected, length, act);
        vector.add(a, b, actual, length, act);
        // Only sigmoid and tanh differ from the scalar kernel (VectorMath's approximations).
        double tolerance = act == Activation.SIGMOID || act == Activation.TANH ? ABSOLUTE : 0;
        assertWithin(expected, actual, tolerance, "add " + act + " length " + length);
        // In place into either operand.
        float[] inA = Arrays.copyOf(a, length);
        vector.add(inA, b, inA, length, act);
        assertWithin(
            Arrays.copyOf(expected, length), inA, tolerance, "add into a " + act + " " + length);
        float[] inB = Arrays.copyOf(b, length);
        vector.add(a, inB, inB, length, act);
        assertWithin(
            Arrays.copyOf(expected, length), inB, tolerance, "add into b " + act + " " + length);
      }
    }
  }

  @Test
  void copyChannelsIntoSlices() {
    for (int n : new int[] {1, 3}) {
      for (int channels : new int[] {1, 3, 7}) {
        for (int spatial : new int[] {1, 13, 257, LARGE / 4}) {
          for (int extra : new int[] {0, 2}) {
            int dstChannels = channels + extra + 1;
            int offset = extra;
            float[] src = values(n * channels * spatial, 1, false);
            float[] expected = junk(n * dstChannels * spatial);
            float[] actual = junk(n * dstChannels * spatial);
            scalar.copyChannels(src, n, channels, spatial, expected, offset, dstChannels);
            vector.copyChannels(src, n, channels, spatial, actual, offset, dstChannels);
            String what = "copyChannels n=" + n + " c=" + channels + " s=" + spatial;
            assertWithin(expected, actual, 0, what);
            // And the scalar kernel puts sample s, channel c where the layout says.
            int s = n - 1;
            int c = channels - 1;
            assertEquals(
                src[(s * channels + c) * spatial + spatial - 1],
                expected[(s * dstChannels + offset + c) * spatial + spatial - 1],
                what);
            assertEquals(12345f, expected[(s * dstChannels + offset + channels) * spatial], what);
          }
        }
      }
    }
  }

  @Test
  void sigmoidWithin1e6() {
    compareInPlace(Kernels::sigmoid, ABSOLUTE, 1, "sigmoid");
    compareInPlace(Kernels::sigmoid, ABSOLUTE, 30, "sigmoid, large inputs");
  }

  @Test
  void tanhWithin1e6() {
    compareInPlace(Kernels::tanh, ABSOLUTE, 1, "tanh");
    compareInPlace(Kernels::tanh, ABSOLUTE, 30, "tanh, large inputs");
  }

  @Test
  void sigmoidAndTanhAtTheExtremes() {
    float[] x = {-1000f, -88.8f, -20f, -1e-20f, 0f, -0f, 1e-20f, 20f, 88.8f, 1000f};
    for (InPlace op : new InPlace[] {Kernels::sigmoid, Kernels::tanh}) {
      // Repeated so that the values fill whole vectors as well as the scalar tail.
      float[] many = new float[x.length * 8];
      for (int i = 0; i < many.length; i++) {
        many[i] = x[i % x.length];
      }
      float[] expected = many.clone();
      float[] actual = many.clone();
      op.run(scalar, expected, many.length);
      op.run(vector, actual, many.length);
      assertWithin(expected, actual, ABSOLUTE, "extremes");
    }
  }

  @Test
  void sigmoidGivesAValueTheSameBitsWhereverItFalls() {
    // Whole vectors and the staged last partial vector must run the same float function, so that a
    // batch gives bit for bit the results of its samples run one by one.
    float[] x = values(1000, 20, true);
    float[] together = x.clone();
    vector.sigmoid(together, together.length);
    for (int i = 0; i < x.length; i++) {
      float[] alone = {x[i]};
      vector.sigmoid(alone, 1);
      assertEquals(
          Float.floatToIntBits(together[i]), Float.floatToIntBits(alone[0]), "sigmoid of " + x[i]);
    }
  }

  @Test
  void softmax() {
    for (int n : new int[] {1, 3}) {
      for (int features : SIZES) {
        for (double spread : new double[] {1, 50}) {
          float[] x = values(n * features, spread, false);
          float[] expected = x.clone();
          float[] actual = x.clone();
          scalar.softmax(expected, n, features);
          vector.softmax(actual, n, features);
          assertRelative(expected, actual, "softmax " + n + " x " + features);
        }
      }
    }
  }

  @Test
  void softmaxPropagatesNaNAndInfinity() {
    for (int features : SIZES) {
      for (float special : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
        float[] x = values(2 * features, 1, false);
        x[features + random.nextInt(features)] = special; // second row only
        float[] expected = x.clone();
        float[] actual = x.clone();
        scalar.softmax(expected, 2, features);
        vector.softmax(actual, 2, features);
        assertWithin(expected, actual, RELATIVE, "softmax with " + special + ", " + features);
      }
    }
  }

  @Test
  void batchNorm() {
    for (int channels : new int[] {1, 3, 13}) {
      for (int spatial : SIZES) {
        int n = 2;
        float[] x = values(n * channels * spatial, 3, true);
        float[] mean = values(channels, 1, false);
        float[] var = values(channels, 1, false);
        for (int i = 0; i < channels; i++) {
          var[i] = Math.abs(var[i]) + 0.01f;
        }
        float[] weight = values(channels, 1, false);
        float[] bias = values(channels, 1, false);
        float[] expected = x.clone();
        float[] actual = x.clone();
        scalar.batchNorm(expected, n, channels, spatial, mean, var, weight, bias, 1e-3);
        vector.batchNorm(actual, n, channels, spatial, mean, var, weight, bias, 1e-3);
        assertRelative(expected, actual, "batchNorm " + channels + " x " + spatial);
      }
    }
    // Many planes: the multithreaded split.
    int channels = 64;
    int spatial = 31 * 31;
    float[] x = values(3 * channels * spatial, 1, false);
    float[] p = values(channels, 1, false);
    float[] var = new float[channels];
    Arrays.fill(var, 2f);
    float[] expected = x.clone();
    float[] actual = x.clone();
    scalar.batchNorm(expected, 3, channels, spatial, p, var, p, p, 1e-5);
    vector.batchNorm(actual, 3, channels, spatial, p, var, p, p, 1e-5);
    assertRelative(expected, actual, "batchNorm, many planes");
  }

  @Test
  void globalAvgPool() {
    for (int channels : new int[] {1, 3, 64}) {
      for (int spatial : SIZES) {
        int n = channels == 64 ? 7 : 2;
        float[] x = values(n * channels * spatial, 1, channels == 3);
        float[] expected = junk(n * channels);
        float[] actual = junk(n * channels);
        scalar.globalAvgPool(x, n, channels, spatial, expected);
        vector.globalAvgPool(x, n, channels, spatial, actual);
        assertRelative(expected, actual, "globalAvgPool " + channels + " x " + spatial);
      }
    }
  }

  // ---- pooling ----

  /** PyTorch's output size; ceil mode drops a last window that would start in the padding. */
  static int poolOut(int n, int before, int after, int k, int s, boolean ceil) {
    int span = n + before + after - k;
    if (span < 0) {
      return 0;
    }
    int out = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (out - 1) * s >= n + before) {
      out--;
    }
    return out;
  }

  /**
   * Floor and ceil mode, symmetric and asymmetric padding up to half the kernel, strides that
   * divide the input and strides that do not, over the awkward sizes.
   */
  static List<Pool2dGeometry> poolGeometries(int channels) {
    int[][] kernels = {{1, 1}, {2, 2}, {3, 3}, {3, 1}, {1, 3}, {5, 4}};
    int[][] strides = {{1, 1}, {2, 2}, {3, 1}, {1, 2}, {2, 3}};
    int[] heights = {1, 3, 7, 13};
    int[] widths = {1, 7, 31, 100, 257};
    List<Pool2dGeometry> all = new ArrayList<>();
    for (int h : heights) {
      for (int w : widths) {
        for (int[] k : kernels) {
          for (int[] s : strides) {
            for (int padding = 0; padding < 3; padding++) {
              for (boolean ceil : new boolean[] {false, true}) {
                // none; half the kernel on every side; half on the top and right only
                int top = padding == 0 ? 0 : k[0] / 2;
                int bottom = padding == 1 ? k[0] / 2 : 0;
                int left = padding == 1 ? k[1] / 2 : 0;
                int right = padding == 0 ? 0 : k[1] / 2;
                int oh = poolOut(h, top, bottom, k[0], s[0], ceil);
                int ow = poolOut(w, left, right, k[1], s[1], ceil);
                if (oh < 1 || ow < 1) {
                  continue;
                }
                all.add(
                    new Pool2dGeometry(
                        channels, h, w, oh, ow, k[0], k[1], s[0], s[1], top, bottom, left, right));
              }
            }
          }
        }
      }
    }
    return all;
  }

  @Test
  void maxPoolIsExactIncludingNaN() {
    List<Pool2dGeometry> geometries = poolGeometries(2);
    for (int i = 0; i < geometries.size(); i++) {
      Pool2dGeometry g = geometries.get(i);
      int n = 1 + i % 2;
      // Every third geometry gets NaN and infinities: NaN must win, -inf must lose to anything.
      float[] x = values(n * g.inputSize(), 1, i % 3 == 0);
      float[] expected = junk(n * g.outputSize());
      float[] actual = junk(n * g.outputSize());
      scalar.maxPool2d(x, n, g, expected);
      vector.maxPool2d(x, n, g, actual);
      assertWithin(expected, actual, 0, "maxPool2d " + g);
    }
  }

  @Test
  void avgPoolBothDivisorRules() {
    List<Pool2dGeometry> geometries = poolGeometries(2);
    for (int i = 0; i < geometries.size(); i++) {
      Pool2dGeometry g = geometries.get(i);
      int n = 1 + i % 2;
      float[] x = values(n * g.inputSize(), 1, i % 5 == 0);
      for (boolean includePad : new boolean[] {true, false}) {
        float[] expected = junk(n * g.outputSize());
        float[] actual = junk(n * g.outputSize());
        scalar.avgPool2d(x, n, g, includePad, expected);
        vector.avgPool2d(x, n, g, includePad, actual);
        assertRelative(expected, actual, "avgPool2d includePad=" + includePad + " " + g);
      }
    }
  }

  @Test
  void avgPool2x2OnExactlyTiledPlanesIsBitExact() {
    // The flat two-pass path (H = 2 OH, W = 2 OW): widths below, at and above a vector and not
    // multiples of one, plane counts that leave partial blocks and partial vectors, and inputs
    // exactly as long as they must be, so a read past the last row would throw.
    int[] sizes = {2, 4, 6, 10, 16, 28, 34, 66};
    int[] planeCounts = {1, 2, 3, 6, 17, 96};
    for (int h : sizes) {
      for (int w : sizes) {
        for (int planes : planeCounts) {
          int channels = planes % 2 == 0 ? 2 : 1;
          int n = planes / channels;
          Pool2dGeometry g =
              new Pool2dGeometry(channels, h, w, h / 2, w / 2, 2, 2, 2, 2, 0, 0, 0, 0);
          float[] x = values(n * g.inputSize(), 1, (h + w + planes) % 7 == 0);
          float[] expected = junk(n * g.outputSize());
          for (int p = 0; p < planes; p++) {
            for (int oy = 0; oy < h / 2; oy++) {
              for (int ox = 0; ox < w / 2; ox++) {
                int a = p * h * w + 2 * oy * w + 2 * ox;
                expected[(p * (h / 2) + oy) * (w / 2) + ox] =
                    ((x[a] + x[a + w]) + (x[a + 1] + x[a + w + 1])) / 4f;
              }
            }
          }
          for (boolean includePad : new boolean[] {true, false}) {
            float[] actual = junk(n * g.outputSize());
            vector.avgPool2d(x, n, g, includePad, actual);
            assertWithin(expected, actual, 0, "avgPool2d 2x2 exact " + g);
          }
        }
      }
    }
  }

  @Test
  void maxPoolAtWidthStride2IsExact() {
    // The flat path (windows 2 or 3 wide at horizontal stride 2, no padding): even and odd widths
    // below, at and above a vector, AlexNet's 54 -> 26, 26 -> 12 and 12 -> 5, window heights and
    // vertical strides 1-3, plane counts that leave partial blocks, inputs exactly as long as they
    // must be (a read past the last row throws), NaN and infinities in every other case.
    int[] widths = {2, 3, 4, 5, 12, 16, 17, 26, 33, 54, 55};
    int[] heights = {3, 5, 12, 26};
    int[] planeCounts = {1, 3, 17, 96};
    int cases = 0;
    for (int w : widths) {
      for (int h : heights) {
        for (int kw = 2; kw <= 3; kw++) {
          for (int kh = 1; kh <= 3; kh++) {
            int sh = 1 + (w + h + kw + kh) % 3;
            int ow = (w - kw) / 2 + 1;
            int oh = (h - kh) / sh + 1;
            if (ow < 1) {
              continue;
            }
            int planes = planeCounts[cases % planeCounts.length];
            int channels = planes % 3 == 0 ? 3 : 1;
            int n = planes / channels;
            Pool2dGeometry g =
                new Pool2dGeometry(channels, h, w, oh, ow, kh, kw, sh, 2, 0, 0, 0, 0);
            float[] x = values(n * g.inputSize(), 1, cases % 2 == 0);
            float[] expected = NaiveReference.maxPool2d(x, planes, h, w, g);
            float[] actual = junk(n * g.outputSize());
            vector.maxPool2d(x, n, g, actual);
            assertWithin(
                expected, Arrays.copyOf(actual, expected.length), 0, "maxPool2d stride-2 " + g);
            assertEquals(12345f, actual[n * g.outputSize()], "wrote past the output: " + g);
            cases++;
          }
        }
      }
    }
    assertTrue(cases > 200, "cases: " + cases);
  }

  @Test
  void coldMaxPoolingGivesTheVectorPathsBits() throws Exception {
    // A JVM's first pooling calls take a scalar loop; with NaN, infinities and zeros of both signs
    // it must give the flat vector path's bits, on AlexNet's three poolings and odd sizes.
    Class<?> type = Class.forName("dev.stride.runtime.kernel.VectorKernels");
    Class<?>[] parameters = {
      float[].class, int.class, int.class, Pool2dGeometry.class, float[].class
    };
    java.lang.reflect.Method cold = type.getDeclaredMethod("maxPoolScalar", parameters);
    java.lang.reflect.Method flat = type.getDeclaredMethod("maxPoolStride2", parameters);
    cold.setAccessible(true);
    flat.setAccessible(true);
    java.lang.reflect.Field lanes = type.getDeclaredField("LANES");
    lanes.setAccessible(true);
    org.junit.jupiter.api.Assumptions.assumeTrue(lanes.getInt(null) >= 8, "the flat path needs 8");
    int[][] shapes = {{64, 55, 27}, {192, 27, 13}, {256, 13, 6}, {3, 17, 8}, {5, 12, 5}};
    for (int[] shape : shapes) {
      int c = shape[0];
      int hw = shape[1];
      int out = shape[2];
      Pool2dGeometry g = new Pool2dGeometry(c, hw, hw, out, out, 3, 3, 2, 2, 0, 0, 0, 0);
      float[] x = values(g.inputSize(), 1, true);
      for (int i = 0; i < x.length; i++) {
        x[i] = i % 5 == 0 ? (i % 2 == 0 ? -0f : 0f) : -Math.abs(x[i]); // zeros often win
      }
      float[] expected = junk(g.outputSize());
      float[] actual = junk(g.outputSize());
      flat.invoke(null, x, 0, c, g, expected);
      cold.invoke(null, x, 0, c, g, actual);
      assertArrayEquals(expected, actual, "max pooling " + g);
    }
  }

  @Test
  void poolingWindowsWithNoInputCell() {
    // Padding larger than the kernel, as Pool2dGeometry allows: whole windows of padding give
    // -inf (max) and 0 (average) in both implementations.
    Pool2dGeometry g = new Pool2dGeometry(3, 5, 20, 5, 22, 2, 2, 2, 1, 3, 4, 3, 3);
    float[] x = values(g.inputSize(), 1, false);
    float[] expected = junk(g.outputSize());
    float[] actual = junk(g.outputSize());
    scalar.maxPool2d(x, 1, g, expected);
    vector.maxPool2d(x, 1, g, actual);
    assertWithin(expected, actual, 0, "maxPool2d, empty windows");
    assertEquals(Float.NEGATIVE_INFINITY, actual[0]);
    for (boolean includePad : new boolean[] {true, false}) {
      scalar.avgPool2d(x, 1, g, includePad, expected);
      vector.avgPool2d(x, 1, g, includePad, actual);
      assertRelative(expected, actual, "avgPool2d, empty windows");
    }
  }

  @Test
  void poolingOverManyPlanesSplitsAcrossThreads() {
    // AlexNet's first pooling, scaled down: 3x3 stride 2 over 64 planes of 55 x 55, two samples.
    Pool2dGeometry g = new Pool2dGeometry(64, 55, 55, 27, 27, 3, 3, 2, 2, 0, 0, 0, 0);
    float[] x = values(2 * g.inputSize(), 1, true);
    float[] expected = junk(2 * g.outputSize());
    float[] actual = junk(2 * g.outputSize());
    scalar.maxPool2d(x, 2, g, expected);
    vector.maxPool2d(x, 2, g, actual);
    assertWithin(expected, actual, 0, "maxPool2d, many planes");
    scalar.avgPool2d(x, 2, g, true, expected);
    vector.avgPool2d(x, 2, g, true, actual);
    assertRelative(expected, actual, "avgPool2d, many planes");
  }

  // ---- convolution and linear ----

  @Test
  void conv2dAndPreparedConv2dWithEveryActivation() {
    int[][] cases = {
      // c, h, w, oc, kh, kw, sh, sw, top, bottom, left, right, dh, dw, groups
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {3, 7, 13, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {4, 13, 31, 6, 3, 5, 2, 3, 2, 0, 1, 2, 1, 2, 2},
      {3, 31, 7, 7, 5, 1, 3, 1, 0, 2, 0, 0, 2, 1, 1},
      {6, 3, 100, 6, 1, 3, 1, 2, 1, 1, 0, 1, 1, 1, 6},
      {2, 7, 257, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    };
    for (int[] c : cases) {
      int oh = (c[1] + c[8] + c[9] - c[12] * (c[4] - 1) - 1) / c[6] + 1;
      int ow = (c[2] + c[10] + c[11] - c[13] * (c[5] - 1) - 1) / c[7] + 1;
      Conv2dGeometry g =
          new Conv2dGeometry(
              c[0], c[1], c[2], c[3], oh, ow, c[4], c[5], c[6], c[7], c[8], c[10], c[12], c[13],
              c[14]);
      for (int n : new int[] {1, 3}) {
        float[] x = values(n * g.inputSize(), 1, false);
        float[] w = values(g.weightSize(), 0.5, false);
        float[] b = values(g.outChannels(), 1, false);
        for (float[] bias : new float[][] {b, null}) {
          float[] expected = junk(n * g.outputSize());
          float[] actual = junk(n * g.outputSize());
          scalar.conv2d(x, n, g, w, bias, expected);
          vector.conv2d(x, n, g, w, bias, actual);
          assertRelative(expected, actual, "conv2d " + g);
          for (Activation a : Activation.values()) {
            float[] fused = junk(n * g.outputSize());
            vector.prepareConv2d(g, w, bias, a).run(x, n, fused);
            float[] reference = expected.clone();
            a.apply(scalar, reference, n * g.outputSize());
            assertRelative(reference, fused, "prepared conv2d + " + a + " " + g);
          }
        }
      }
    }
  }

  @Test
  void linearAndPreparedLinearWithEveryActivation() {
    for (int in : SIZES) {
      for (int out : new int[] {1, 3, 13, 100}) {
        for (int n : new int[] {1, 7}) {
          float[] x = values(n * in, 1, false);
          float[] w = values(out * in, 1 / Math.sqrt(in), false);
          float[] b = values(out, 1, false);
          for (float[] bias : new float[][] {b, null}) {
            float[] expected = junk(n * out);
            float[] actual = junk(n * out);
            scalar.linear(x, n, in, w, bias, out, expected);
            vector.linear(x, n, in, w, bias, out, actual);
            assertRelative(expected, actual, "linear " + in + " -> " + out);
            for (Activation a : Activation.values()) {
              float[] fused = junk(n * out);
              vector.prepareLinear(in, out, w, bias, a).run(x, n, fused);
              float[] reference = expected.clone();
              a.apply(scalar, reference, n * out);
              assertRelative(reference, fused, "prepared linear + " + a);
            }
          }
        }
      }
    }
  }
}
