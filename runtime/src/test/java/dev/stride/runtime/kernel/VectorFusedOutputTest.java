package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.ScalarKernelsTest.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The prepared layers' slice-and-residual {@code run} (a Concat operand written in place, a
 * shortcut Add fused into the output pass) against the scalar oracle, on every convolution path:
 * the im2col GEMM (groups, many output channels), the wide direct path (stride 1, few channels),
 * the six-row kernel, strided phase planes, 1x1, Winograd, depthwise, and the linear layer.
 */
class VectorFusedOutputTest {
  private static final float JUNK = 12345f;

  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  /**
   * The oracle: scalar layer without activation, plus the residual, then the activation, into
   * channels {@code [offset, offset + OC)} of a junk-filled {@code (N, outChannels, spatial)}.
   */
  static float[][] expected(
      PreparedLayer plain,
      float[] input,
      int n,
      int oc,
      int spatial,
      int offset,
      int outChannels,
      float[] residual,
      Activation act) {
    float[] pre = new float[n * oc * spatial];
    plain.run(input, n, pre);
    if (residual != null) {
      for (int i = 0; i < pre.length; i++) {
        pre[i] += residual[i];
      }
    }
    float[] out = new float[n * outChannels * spatial + 7];
    Arrays.fill(out, JUNK);
    float[] preOut = out.clone();
    for (int s = 0; s < n; s++) {
      for (int i = 0; i < oc * spatial; i++) {
        int at = (s * outChannels + offset) * spatial + i;
        preOut[at] = pre[s * oc * spatial + i];
        out[at] = act.apply(pre[s * oc * spatial + i]);
      }
    }
    return new float[][] {out, preOut};
  }

  /** Runs {@code layer}'s slice run against {@link #expected}; junk outside the slice survives. */
  static void compare(
      Random r,
      PreparedLayer layer,
      PreparedLayer plain,
      int n,
      int inSize,
      int oc,
      int spatial,
      int offset,
      int outChannels,
      boolean withResidual,
      Activation act,
      String what) {
    float[] input = randoms(r, n * inSize);
    float[] inputCopy = input.clone();
    float[] residual = withResidual ? randoms(r, n * oc * spatial) : null;
    float[] residualCopy = withResidual ? residual.clone() : null;
    float[][] e = expected(plain, input, n, oc, spatial, offset, outChannels, residual, act);
    float[] actual = new float[e[0].length];
    Arrays.fill(actual, JUNK);
    layer.run(input, n, actual, offset, outChannels, residual);
    String full =
        what + " n=" + n + " offset=" + offset + "/" + outChannels + " res=" + withResidual + act;
    VectorLayers.assertClose(e[0], e[1], actual, actual.length, full);
    for (int i = 0; i < actual.length; i++) {
      if (e[0][i] == JUNK) {
        assertEquals(JUNK, actual[i], full + ": wrote outside its slice at " + i);
      }
    }
    assertArrayEquals(inputCopy, input, full + ": modified its input");
    if (withResidual) {
      assertArrayEquals(residualCopy, residual, full + ": modified the residual");
    }
  }

  interface Factory {
    PreparedLayer prepare(Conv2dGeometry g, float[] weight, float[] bias, Activation act);
  }

  /** Every slice/residual/activation combination of one convolution through {@code factory}. */
  static void conv(Random r, Conv2dGeometry g, int[] batches, Factory factory, String what) {
    float[] weight = randoms(r, g.weightSize());
    float[] bias = randoms(r, g.outChannels());
    PreparedLayer plain = ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, Activation.NONE);
    int oc = g.outChannels();
    int spatial = g.outHeight() * g.outWidth();
    for (Activation act : Activation.values()) {
      PreparedLayer layer = factory.prepare(g, weight, bias, act);
      for (int n : batches) {
        int[][] slices = {{0, oc}, {3, oc + 5}, {0, oc + 1}, {1, oc + 1}};
        for (int[] slice : slices) {
          for (boolean res : new boolean[] {false, true}) {
            compare(
                r,
                layer,
                plain,
                n,
                g.inputSize(),
                oc,
                spatial,
                slice[0],
                slice[1],
                res,
                act,
                what + " " + g);
          }
        }
      }
    }
  }

  private static Conv2dGeometry geometry(
      int c, int hw, int oc, int k, int s, int p, int d, int groups) {
    int o = (hw + 2 * p - d * (k - 1) - 1) / s + 1;
    return new Conv2dGeometry(c, hw, hw, oc, o, o, k, k, s, s, p, p, d, d, groups);
  }

  @Test
  void im2colGemmPath() {
    Random r = new Random(1);
    int[] batches = {1, 3};
    // More than 32 output channels per group at stride 1, groups, dilation, 1x1.
    conv(r, geometry(5, 9, 40, 3, 1, 1, 1, 1), batches, VectorLayers::conv, "gemm");
    conv(r, geometry(6, 7, 12, 3, 2, 1, 1, 3), batches, VectorLayers::conv, "grouped");
    conv(r, geometry(13, 13, 257, 1, 1, 0, 1, 1), new int[] {2}, VectorLayers::conv, "1x1");
    // Large enough to split over threads, panels and tiles alike.
    conv(r, geometry(31, 20, 100, 3, 1, 1, 1, 1), new int[] {1, 2}, VectorLayers::conv, "big");
  }

  @Test
  void widePaths() {
    Random r = new Random(2);
    int[] batches = {1, 3};
    conv(r, geometry(3, 13, 31, 3, 1, 1, 1, 1), batches, VectorLayers::conv, "wide");
    conv(r, geometry(7, 31, 3, 5, 1, 2, 2, 1), batches, VectorLayers::conv, "six rows");
    conv(r, geometry(7, 31, 13, 3, 2, 1, 1, 1), batches, VectorLayers::conv, "phased");
    conv(r, geometry(3, 100, 16, 7, 2, 3, 1, 1), new int[] {1, 2}, VectorLayers::conv, "conv1");
    // Sigmoid and tanh run per sample after the tiles once there are enough samples.
    conv(r, geometry(3, 28, 6, 5, 1, 2, 1, 1), new int[] {1, 7}, VectorLayers::conv, "lenet");
  }

  @Test
  void winogradPaths() {
    Random r = new Random(3);
    int[] batches = {1, 3};
    for (WinogradMatrices w :
        new WinogradMatrices[] {
          WinogradMatrices.F2X3, WinogradMatrices.F4X3, WinogradMatrices.F2X5
        }) {
      int k = w == WinogradMatrices.F2X5 ? 5 : 3;
      conv(
          r,
          geometry(7, 13, 13, k, 1, k / 2, 1, 1),
          batches,
          (g, weight, bias, act) -> VectorLayers.winograd(g, w, weight, bias, act),
          "winograd " + w);
    }
    // Batch 1 with many channels: the shared input transform and split output channels.
    conv(
        r,
        geometry(64, 12, 64, 3, 1, 1, 1, 1),
        new int[] {1, 4},
        (g, weight, bias, act) ->
            VectorLayers.winogradBest(g, WinogradMatrices.F2X3, weight, bias, act),
        "winograd best");
  }

  @Test
  void kernelsPrepareConv2dChoosesAFusedLayer() {
    Random r = new Random(4);
    Kernels vector = KernelProvider.loadVectorKernels().orElseThrow();
    conv(r, geometry(8, 14, 24, 3, 1, 1, 1, 1), new int[] {1, 2}, vector::prepareConv2d, "k3");
    conv(r, geometry(8, 14, 24, 3, 2, 1, 1, 8), new int[] {1, 2}, vector::prepareConv2d, "dw");
  }

  @Test
  void linearRowAndPanelPaths() {
    Random r = new Random(5);
    for (int[] sizes : new int[][] {{13, 7}, {100, 257}, {257, 31}, {2048, 100}}) {
      int f = sizes[0];
      int of = sizes[1];
      float[] weight = randoms(r, f * of);
      float[] bias = randoms(r, of);
      PreparedLayer plain =
          ScalarKernels.INSTANCE.prepareLinear(f, of, weight, bias, Activation.NONE);
      for (Activation act : Activation.values()) {
        PreparedLayer layer = VectorLayers.linear(f, of, weight, bias, act);
        for (int n : new int[] {1, 3, 13}) {
          for (int[] slice : new int[][] {{0, of}, {5, of + 9}, {2, of + 2}}) {
            for (boolean res : new boolean[] {false, true}) {
              compare(r, layer, plain, n, f, of, 1, slice[0], slice[1], res, act, "linear " + f);
            }
          }
        }
      }
    }
  }

  @Test
  void aSliceThatDoesNotFitIsRejected() {
    Random r = new Random(6);
    Conv2dGeometry g = geometry(3, 5, 4, 3, 1, 1, 1, 1);
    PreparedLayer layer = VectorLayers.conv(g, randoms(r, g.weightSize()), null, Activation.NONE);
    float[] input = new float[g.inputSize()];
    float[] output = new float[10 * 25];
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> layer.run(input, 1, output, 7, 10, null));
    assertEquals("channels [7, 11) do not fit in an output of 10 channels", e.getMessage());
  }
}
