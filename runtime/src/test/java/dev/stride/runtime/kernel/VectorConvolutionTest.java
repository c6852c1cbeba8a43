package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.ScalarKernelsTest.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorConvolution} against {@link ScalarKernels}' prepared convolution, within {@link
 * VectorLayers#assertClose}, over awkward geometries.
 */
class VectorConvolutionTest {
  private static final float JUNK = 12345f;

  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  /** One case; bottom/right padding only set the output size. */
  private static void check(
      Random r,
      int n,
      int c,
      int h,
      int w,
      int oc,
      int kh,
      int kw,
      int sh,
      int sw,
      int top,
      int bottom,
      int left,
      int right,
      int dh,
      int dw,
      int groups,
      boolean withBias,
      Activation act) {
    int oh = (h + top + bottom - dh * (kh - 1) - 1) / sh + 1;
    int ow = (w + left + right - dw * (kw - 1) - 1) / sw + 1;
    Conv2dGeometry g =
        new Conv2dGeometry(c, h, w, oc, oh, ow, kh, kw, sh, sw, top, left, dh, dw, groups);
    compare(r, n, g, withBias, act, VectorLayers::conv);
  }

  /** How a test builds the layer under test. */
  interface Factory {
    PreparedLayer prepare(Conv2dGeometry g, float[] weight, float[] bias, Activation act);
  }

  /**
   * Random weights, bias and input through {@code factory}'s layer and the scalar one: outputs
   * within {@link VectorLayers#assertClose}, nothing written past the output, input untouched.
   */
  static void compare(
      Random r, int n, Conv2dGeometry g, boolean withBias, Activation act, Factory factory) {
    int oc = g.outChannels();
    float[] weight = randoms(r, g.weightSize());
    float[] bias = withBias ? randoms(r, oc) : null;
    float[] input = randoms(r, n * g.inputSize());
    float[] inputCopy = input.clone();
    float[] expected = new float[n * g.outputSize()];
    ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, act).run(input, n, expected);
    float[] pre = new float[n * g.outputSize()];
    ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, Activation.NONE).run(input, n, pre);
    float[] actual = new float[n * g.outputSize() + 7];
    Arrays.fill(actual, JUNK);
    factory.prepare(g, weight, bias, act).run(input, n, actual);
    String what = g + " n=" + n + " bias=" + withBias + " " + act;
    VectorLayers.assertClose(expected, pre, actual, expected.length, what);
    for (int i = expected.length; i < actual.length; i++) {
      assertEquals(JUNK, actual[i], what + ": wrote past the output at " + i);
    }
    assertArrayEquals(inputCopy, input, what + ": modified its input");
  }

  private static void simple(Random r, int n, int c, int hw, int oc, int k, int s, int p) {
    check(r, n, c, hw, hw, oc, k, k, s, s, p, p, p, p, 1, 1, 1, true, Activation.NONE);
  }

  @Test
  void awkwardChannelsAndSpatialSizes() {
    Random r = new Random(1);
    int[] sizes = {1, 3, 7, 13, 31};
    for (int c : sizes) {
      for (int hw : sizes) {
        for (int oc : new int[] {1, 3, 7, 13, 31}) {
          int k = Math.min(3, hw);
          simple(r, 1, c, hw, oc, k, 1, k / 2);
        }
      }
    }
  }

  @Test
  void sixOrFewerOutputChannelsOnTheSixRowKernel() {
    // Stride-1 layers with 1-6 output channels run the 6 x 64 wide kernel: one K block and
    // several (12 x 5 x 5 = 300 > 256), dilation, asymmetric padding, widths below, at and above
    // a 64-column tile, and batches whose samples each start a new tile.
    Random r = new Random(12);
    for (int oc = 1; oc <= 6; oc++) {
      for (int c : new int[] {1, 12}) {
        for (int d = 1; d <= 2; d++) {
          for (int hw : new int[] {9, 28, 70}) {
            Activation act = oc % 2 == 0 ? Activation.SIGMOID : Activation.RELU;
            check(r, 1 + oc % 3, c, hw, hw + 3, oc, 5, 5, 1, 1, 2, 1, 0, 3, d, d, 1, true, act);
          }
        }
      }
    }
  }

  @Test
  void largeChannelCounts() {
    Random r = new Random(2);
    simple(r, 1, 100, 13, 257, 3, 1, 1);
    simple(r, 2, 257, 7, 100, 3, 2, 1);
    simple(r, 1, 3, 100, 13, 5, 3, 2);
    simple(r, 1, 1, 257, 7, 3, 1, 0);
  }

  @Test
  void kernelsStridesDilationsAndPadding() {
    Random r = new Random(3);
    for (int kh = 1; kh <= 5; kh++) {
      for (int kw = 1; kw <= 5; kw += 2) {
        for (int s = 1; s <= 3; s++) {
          for (int d = 1; d <= 3; d++) {
            int top = (kh + s + d) % 3;
            int left = (kw + s) % 3;
            check(
                r,
                3,
                3,
                17,
                13,
                7,
                kh,
                kw,
                s,
                4 - s,
                top,
                1,
                left,
                0,
                d,
                4 - d,
                1,
                true,
                Activation.NONE);
          }
        }
      }
    }
  }

  @Test
  void stridedLayersLargeEnoughToSplitOverThreads() {
    // Strided layers read phase planes. These run on the pool: at batch 1 each task splits only
    // the plane rows its tiles read, at larger batches whole samples. AlexNet's conv1; dilation
    // with unequal strides and asymmetric padding; a layer on the 6-row kernel; a stride larger
    // than the kernel (planes no tap reads).
    for (int n : new int[] {1, 3}) {
      Random r = new Random(20 + n);
      check(r, n, 1, 224, 224, 96, 11, 11, 4, 4, 2, 2, 2, 2, 1, 1, 1, true, Activation.RELU);
      check(r, n, 3, 91, 67, 40, 5, 3, 2, 3, 3, 0, 1, 2, 2, 3, 1, true, Activation.NONE);
      check(r, n, 8, 128, 127, 5, 3, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1, false, Activation.SIGMOID);
      check(r, n, 7, 100, 100, 31, 2, 2, 3, 3, 0, 0, 0, 0, 1, 1, 1, true, Activation.TANH);
    }
  }

  @Test
  void stride1LayersOnWidePlanesTakeTheWidePathWithManyOutputChannels() {
    // 30 x 30 outputs on 32-column padded rows: within WIDE_ROW_WASTE, so the wide path with packed
    // B panels (at least PACK_WIDE_PANELS weight panels), on the pool and inline; two K blocks.
    assertEquals(true, 2 * VectorConvolution.WIDE_ROW_WASTE <= 30);
    Random r = new Random(17);
    for (int n : new int[] {1, 3}) {
      check(r, n, 5, 30, 30, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
      check(
          r,
          n,
          40,
          30,
          30,
          4 * VectorGemm.MR * 3,
          3,
          3,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          1,
          false,
          Activation.SIGMOID);
    }
  }

  @Test
  void pointwiseStridedLayersSplitOnlyThePhaseTheyRead() {
    // A 1x1 stride-2 layer reads one phase plane of four; with enough panels to pack B.
    Random r = new Random(18);
    for (int n : new int[] {1, 2}) {
      check(r, n, 64, 28, 28, 128, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true, Activation.RELU);
      check(r, n, 7, 13, 13, 31, 1, 1, 2, 3, 0, 0, 0, 0, 1, 1, 1, false, Activation.NONE);
    }
  }

  @Test
  void paddingLargerThanKernelReadsOnlyZeros() {
    Random r = new Random(4);
    check(r, 2, 3, 4, 5, 5, 2, 3, 1, 2, 3, 2, 4, 1, 1, 1, 1, true, Activation.RELU);
  }

  @Test
  void groupsAndDepthwise() {
    Random r = new Random(5);
    check(r, 3, 4, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, Activation.NONE);
    check(r, 1, 26, 13, 11, 52, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, false, Activation.RELU);
    check(r, 17, 13, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 13, true, Activation.NONE);
    check(r, 3, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 32, true, Activation.RELU);
    check(r, 1, 31, 10, 10, 31, 5, 5, 1, 1, 2, 2, 2, 2, 2, 2, 31, false, Activation.TANH);
    // large enough to run on the pool, with tasks that span both groups and several samples
    check(r, 5, 64, 20, 20, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, Activation.RELU);
  }

  @Test
  void batchLargerThanOnePaddedCopy() {
    // 257 channels of 30 x 30 padded: four samples per padded copy, so 9 samples repad
    Random r = new Random(12);
    check(r, 9, 257, 28, 28, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.NONE);
  }

  @Test
  void pointwise() {
    Random r = new Random(6);
    check(r, 3, 64, 13, 13, 100, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.RELU);
    check(r, 17, 7, 3, 3, 31, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, Activation.NONE);
    check(r, 1, 13, 31, 31, 7, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, true, Activation.NONE);
  }

  @Test
  void pointwiseOnLargePlanesTakesTheWidePathWithManyOutputChannels() {
    Random r = new Random(16);
    int side = 47; // 47 x 47 = 2209 positions, just over the threshold, and no whole tile
    assertEquals(true, side * side >= VectorConvolution.WIDE_MIN_POINTWISE_PLANE);
    check(r, 1, 16, side, side, 100, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.RELU6);
    check(r, 2, 3, side, side, 33, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false, Activation.NONE);
  }

  @Test
  void everyActivationWithAndWithoutBias() {
    Random r = new Random(7);
    for (Activation act : Activation.values()) {
      for (boolean withBias : new boolean[] {false, true}) {
        for (int n : new int[] {1, 3, 17}) {
          check(r, n, 6, 10, 10, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, withBias, act);
        }
      }
    }
  }

  @Test
  void batchSizes() {
    Random r = new Random(8);
    for (int n : new int[] {1, 2, 3, 17, 64, 257}) {
      check(r, n, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, true, Activation.SIGMOID);
    }
  }

  @Test
  void alexNetLayers() {
    Random r = new Random(9);
    check(r, 1, 1, 224, 224, 96, 11, 11, 4, 4, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
    check(r, 1, 96, 26, 26, 256, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, true, Activation.RELU);
    check(r, 3, 256, 12, 12, 384, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
    check(r, 2, 384, 12, 12, 384, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
    check(r, 1, 384, 12, 12, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
  }

  @Test
  void leNetLayers() {
    Random r = new Random(10);
    for (int n : new int[] {1, 256}) {
      check(r, n, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, true, Activation.SIGMOID);
      check(r, n, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, Activation.SIGMOID);
    }
  }

  @Test
  void concurrentRunsMatchALoneRun() throws Exception {
    Random r = new Random(11);
    Conv2dGeometry g = new Conv2dGeometry(96, 26, 26, 256, 26, 26, 5, 5, 1, 1, 2, 2, 1, 1, 1);
    PreparedLayer layer =
        VectorLayers.conv(g, randoms(r, g.weightSize()), randoms(r, 256), Activation.RELU);
    assertConcurrentRunsMatchAlone(r, g, layer);
  }

  /** Four threads running {@code layer} at once get, five times over, their results alone. */
  static void assertConcurrentRunsMatchAlone(Random r, Conv2dGeometry g, PreparedLayer layer)
      throws Exception {
    int threads = 4;
    List<float[]> inputs = new ArrayList<>();
    List<float[]> alone = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int n = 1 + t % 2;
      float[] input = randoms(r, n * g.inputSize());
      float[] out = new float[n * g.outputSize()];
      layer.run(input, n, out);
      inputs.add(input);
      alone.add(out);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        float[] input = inputs.get(t);
        int n = 1 + t % 2;
        futures.add(
            pool.submit(
                () -> {
                  float[] out = new float[n * g.outputSize()];
                  for (int rep = 0; rep < 5; rep++) {
                    layer.run(input, n, out);
                  }
                  return out;
                }));
      }
      for (int t = 0; t < threads; t++) {
        assertArrayEquals(alone.get(t), futures.get(t).get(), "thread " + t);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
