package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorDepthwise} against {@link ScalarKernels}' convolution over depthwise and grouped
 * geometries: strides, padding, dilation, channel multipliers, awkward channel counts and widths,
 * batch 1 and more (see {@link VectorFusedOutputTest} for its slices and residuals).
 */
class VectorDepthwiseTest {
  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  private static void check(
      Random r,
      int n,
      int c,
      int h,
      int w,
      int oc,
      int k,
      int stride,
      int pad,
      int dilation,
      int groups,
      boolean withBias,
      Activation act) {
    int oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    int ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    Conv2dGeometry g =
        new Conv2dGeometry(
            c, h, w, oc, oh, ow, k, k, stride, stride, pad, pad, dilation, dilation, groups);
    VectorConvolutionTest.compare(r, n, g, withBias, act, VectorLayers::depthwise);
  }

  @Test
  void depthwiseOverAwkwardChannelsAndWidths() {
    Random r = new Random(1);
    int[] sizes = {1, 3, 7, 13, 31, 100, 257};
    for (int c : new int[] {1, 3, 7, 13, 31}) {
      for (int w : sizes) {
        for (int stride = 1; stride <= 2; stride++) {
          Activation act = Activation.values()[(c + w + stride) % Activation.values().length];
          check(r, 1 + w % 2, c, 5, w, c, 3, stride, 1, 1, c, w % 3 != 0, act);
        }
      }
    }
  }

  @Test
  void mobileNetShapes() {
    // MobileNetV2's depthwise layers, shrunk: 3 x 3, stride 1 and 2, padding 1, ReLU6.
    Random r = new Random(2);
    check(r, 1, 32, 112, 112, 32, 3, 1, 1, 1, 32, true, Activation.RELU6);
    check(r, 2, 96, 28, 28, 96, 3, 2, 1, 1, 96, true, Activation.RELU6);
    check(r, 3, 160, 7, 7, 160, 3, 1, 1, 1, 160, true, Activation.RELU6);
    check(r, 2, 257, 7, 7, 257, 3, 2, 1, 1, 257, false, Activation.NONE);
  }

  @Test
  void paddingDilationKernelSizesAndMultipliers() {
    Random r = new Random(3);
    for (int k : new int[] {1, 3, 5}) {
      for (int pad = 0; pad <= 2; pad++) {
        for (int dilation = 1; dilation <= 2; dilation++) {
          for (int stride = 1; stride <= 3; stride++) {
            int h = 4 + k * dilation;
            check(r, 2, 6, h, h + 5, 6, k, stride, pad, dilation, 6, true, Activation.RELU);
            check(r, 1, 3, h, h + 1, 12, k, stride, pad, dilation, 3, true, Activation.SIGMOID);
          }
        }
      }
    }
    // Non-square kernel, stride and padding.
    Conv2dGeometry g = new Conv2dGeometry(4, 9, 13, 8, 5, 6, 3, 2, 2, 2, 1, 0, 1, 1, 4);
    VectorConvolutionTest.compare(r, 2, g, true, Activation.TANH, VectorLayers::depthwise);
  }

  @Test
  void groupedWithSeveralChannelsPerGroup() {
    Random r = new Random(4);
    for (int groups : new int[] {2, 4, 8, 32}) {
      for (int perGroup : new int[] {1, 3, 4, 16}) {
        int c = groups * perGroup;
        check(r, 2, c, 11, 11, c, 3, 1, 1, 1, groups, true, Activation.RELU);
        check(r, 1, c, 12, 12, 2 * c, 3, 2, 1, 1, groups, true, Activation.NONE);
      }
    }
  }

  @Test
  void largeBatchesSplitOverThreads() {
    Random r = new Random(5);
    check(r, 7, 24, 30, 30, 24, 3, 1, 1, 1, 24, true, Activation.RELU6);
    check(r, 5, 64, 16, 16, 64, 3, 2, 1, 1, 64, true, Activation.RELU6);
  }

  @Test
  void chosenForGroupedLayersWithFewChannelsPerGroup() {
    Kernels vector = KernelProvider.loadVectorKernels().orElseThrow();
    float[] weight = new float[256 * 128 * 9];
    String depthwise = "dev.stride.runtime.kernel.VectorDepthwise";
    // Depthwise, a channel multiplier, and groups of 16 channels: here.
    for (Conv2dGeometry g :
        new Conv2dGeometry[] {
          new Conv2dGeometry(32, 9, 9, 32, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 32),
          new Conv2dGeometry(8, 9, 9, 24, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 8),
          new Conv2dGeometry(64, 9, 9, 64, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 4)
        }) {
      String type = vector.prepareConv2d(g, weight, null, Activation.NONE).getClass().getName();
      assertTrue(type.startsWith(depthwise), g + " took " + type);
    }
    // No groups, or many channels per group: the GEMM.
    for (Conv2dGeometry g :
        new Conv2dGeometry[] {
          new Conv2dGeometry(8, 9, 9, 24, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1),
          new Conv2dGeometry(256, 9, 9, 256, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 2)
        }) {
      String type = vector.prepareConv2d(g, weight, null, Activation.NONE).getClass().getName();
      assertFalse(type.startsWith(depthwise), g + " took " + type);
    }
  }

  @Test
  void switchedOffOnlyByFalse() throws ReflectiveOperationException {
    Method enabled =
        Class.forName("dev.stride.runtime.kernel.VectorDepthwise")
            .getDeclaredMethod("enabled", String.class);
    enabled.setAccessible(true);
    assertTrue((boolean) enabled.invoke(null, (Object) null));
    assertTrue((boolean) enabled.invoke(null, "true"));
    assertFalse((boolean) enabled.invoke(null, "false"));
  }
}
