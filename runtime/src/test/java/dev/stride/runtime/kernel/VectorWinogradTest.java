package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.ScalarKernelsTest.randoms;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorWinograd} against {@link ScalarKernels}' direct convolution, within the kernel
 * tests' one tolerance ({@link VectorLayers#assertClose}: 1e-5 of the output's magnitude), forced
 * onto geometries {@link WinogradMatrices#choose} would leave to the GEMM as well, so that every
 * edge of the tile layout is exercised.
 */
class VectorWinogradTest {

  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  private static void check(
      Random r,
      WinogradMatrices w,
      int n,
      int c,
      int h,
      int wd,
      int oc,
      int top,
      int bottom,
      int left,
      int right,
      boolean withBias,
      Activation act) {
    int k = w.r();
    Conv2dGeometry g =
        new Conv2dGeometry(
            c,
            h,
            wd,
            oc,
            h + top + bottom - k + 1,
            wd + left + right - k + 1,
            k,
            k,
            1,
            1,
            top,
            left,
            1,
            1,
            1);
    VectorConvolutionTest.compare(
        r,
        n,
        g,
        withBias,
        act,
        (geometry, weight, bias, a) -> VectorLayers.winograd(geometry, w, weight, bias, a));
  }

  /**
   * Every pairing of awkward input and output channel counts over the given sizes, with padding
   * {@code r / 2} and batches 1-3.
   */
  private static void awkwardSizes(Random r, WinogradMatrices w, int... sizes) {
    int[] channels = {1, 3, 7, 13, 31};
    int p = w.r() / 2;
    for (int c : channels) {
      for (int oc : channels) {
        for (int hw : sizes) {
          check(r, w, 1 + hw % 3, c, hw, hw, oc, p, p, p, p, true, Activation.NONE);
        }
      }
    }
  }

  @Test
  void awkwardSizes() {
    Random r = new Random(1);
    awkwardSizes(r, WinogradMatrices.F2X3, 1, 2, 3, 7, 12, 13);
    awkwardSizes(r, WinogradMatrices.F2X5, 1, 4, 5, 13, 26);
    awkwardSizes(r, WinogradMatrices.F4X3, 1, 2, 4, 5, 12, 50);
  }

  @Test
  void paddingsIncludingAsymmetricAndNone() {
    Random r = new Random(3);
    for (WinogradMatrices w :
        new WinogradMatrices[] {WinogradMatrices.F2X3, WinogradMatrices.F2X5}) {
      int k = w.r();
      for (int[] p : new int[][] {{0, 0, 0, 0}, {1, 0, 0, 1}, {0, 2, 1, 0}, {k, k, k, k}}) {
        for (int[] hw : new int[][] {{9, 10}, {17, 8}, {k, k + 1}, {100, 7}, {7, 100}, {5, 24}}) {
          check(r, w, 2, 17, hw[0], hw[1], 13, p[0], p[1], p[2], p[3], true, Activation.NONE);
        }
      }
    }
  }

  /**
   * Matrices other than the two shared instances take the table-driven transforms: F(2, 3) built
   * again, and F(4, 3), whose 4 x 4 tiles exercise the layout with four row and column phases.
   */
  @Test
  void tableDrivenTransforms() {
    Random r = new Random(10);
    WinogradMatrices f23 = WinogradMatrices.of(2, 3, 0, 1, -1);
    WinogradMatrices f43 = WinogradMatrices.of(4, 3, 0, 1, -1, 2, -2);
    for (WinogradMatrices w : new WinogradMatrices[] {f23, f43}) {
      for (int hw : new int[] {1, 3, 7, 12, 13, 60}) {
        check(r, w, 2, 7, hw, hw + 2, 13, 1, 1, 0, 2, true, Activation.RELU);
      }
    }
  }

  @Test
  void rectangularInputsAndLargeChannelCounts() {
    Random r = new Random(4);
    check(r, WinogradMatrices.F2X3, 3, 257, 5, 11, 100, 1, 1, 1, 1, true, Activation.RELU);
    check(r, WinogradMatrices.F2X5, 2, 100, 11, 6, 257, 2, 2, 2, 2, true, Activation.RELU);
  }

  @Test
  void everyActivationWithAndWithoutBias() {
    Random r = new Random(5);
    for (Activation act : Activation.values()) {
      for (boolean withBias : new boolean[] {true, false}) {
        check(r, WinogradMatrices.F2X3, 2, 16, 12, 12, 24, 1, 1, 1, 1, withBias, act);
        check(r, WinogradMatrices.F2X5, 1, 16, 13, 13, 24, 2, 2, 2, 2, withBias, act);
      }
    }
  }

  @Test
  void batchSizesAcrossPanelsAndWindows() {
    Random r = new Random(6);
    for (int n : new int[] {1, 2, 3, 7, 33}) {
      check(r, WinogradMatrices.F2X3, n, 20, 12, 12, 16, 1, 1, 1, 1, true, Activation.RELU);
    }
    check(r, WinogradMatrices.F2X3, 5, 3, 64, 64, 8, 1, 1, 1, 1, true, Activation.NONE);
  }

  @Test
  void bestTilingPerBatch() {
    Random r = new Random(12);
    Conv2dGeometry g = new Conv2dGeometry(256, 12, 12, 384, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    for (int n : new int[] {1, 2, 3, 32}) {
      VectorConvolutionTest.compare(
          r,
          n,
          g,
          true,
          Activation.RELU,
          (geometry, weight, bias, a) ->
              VectorLayers.winogradBest(geometry, WinogradMatrices.F2X3, weight, bias, a));
    }
  }

  @Test
  void alexNetLayers() {
    Random r = new Random(7);
    for (int n : new int[] {1, 3}) {
      check(r, WinogradMatrices.F2X5, n, 96, 26, 26, 256, 2, 2, 2, 2, true, Activation.RELU);
      check(r, WinogradMatrices.F2X3, n, 256, 12, 12, 384, 1, 1, 1, 1, true, Activation.RELU);
      check(r, WinogradMatrices.F2X3, n, 384, 12, 12, 384, 1, 1, 1, 1, true, Activation.RELU);
      check(r, WinogradMatrices.F2X3, n, 384, 12, 12, 256, 1, 1, 1, 1, true, Activation.RELU);
    }
    check(r, WinogradMatrices.F4X3, 4, 256, 12, 12, 384, 1, 1, 1, 1, true, Activation.RELU);
    check(r, WinogradMatrices.F4X3, 3, 384, 12, 12, 384, 1, 1, 1, 1, true, Activation.RELU);
  }

  /**
   * ResNet-18's small planes at batches 1 and 2: one tile row at a time ({@link
   * WinogradMatrices#rowColumns}), with the phase buffer shared by every task and the output
   * channels split over them.
   */
  @Test
  void resNetSmallPlanes() {
    Random r = new Random(13);
    for (int n : new int[] {1, 2}) {
      check(r, WinogradMatrices.F2X3, n, 512, 7, 7, 512, 1, 1, 1, 1, true, Activation.RELU);
      check(r, WinogradMatrices.F4X3, n, 256, 14, 14, 256, 1, 1, 1, 1, true, Activation.RELU);
      check(r, WinogradMatrices.F4X3, n, 128, 28, 28, 128, 1, 1, 1, 1, true, Activation.NONE);
    }
  }

  @Test
  void vectorKernelsPickItForAlexNetWhenEnabled() {
    Conv2dGeometry g = new Conv2dGeometry(256, 12, 12, 384, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    Random r = new Random(8);
    String old = System.getProperty(WinogradMatrices.PROPERTY);
    try {
      System.setProperty(WinogradMatrices.PROPERTY, "true");
      VectorConvolutionTest.compare(
          r,
          2,
          g,
          true,
          Activation.RELU,
          (geometry, weight, bias, a) -> vectorKernels().prepareConv2d(geometry, weight, bias, a));
      String name = prepared(g, r).getClass().getName();
      assertTrue(name.contains("VectorWinograd"), name);
      System.setProperty(WinogradMatrices.PROPERTY, "false");
      name = prepared(g, r).getClass().getName();
      assertTrue(name.contains("VectorConvolution"), name);
    } finally {
      if (old == null) {
        System.clearProperty(WinogradMatrices.PROPERTY);
      } else {
        System.setProperty(WinogradMatrices.PROPERTY, old);
      }
    }
  }

  private static PreparedLayer prepared(Conv2dGeometry g, Random r) {
    return vectorKernels().prepareConv2d(g, randoms(r, g.weightSize()), null, Activation.NONE);
  }

  private static Kernels vectorKernels() {
    return KernelProvider.loadVectorKernels().orElseThrow();
  }

  @Test
  void concurrentRunsMatchALoneRun() throws Exception {
    Random r = new Random(9);
    Conv2dGeometry g = new Conv2dGeometry(96, 26, 26, 256, 26, 26, 5, 5, 1, 1, 2, 2, 1, 1, 1);
    PreparedLayer layer =
        VectorLayers.winograd(
            g, WinogradMatrices.F2X5, randoms(r, g.weightSize()), randoms(r, 256), Activation.RELU);
    VectorConvolutionTest.assertConcurrentRunsMatchAlone(r, g, layer);
  }
}
