package dev.stride.benchmarks.kernels;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.PreparedLayer;
import dev.stride.runtime.kernel.ScalarKernels;
import java.lang.reflect.Method;

/**
 * Prepares a layer with the scalar kernels or with the package-private Vector API layers ({@code
 * VectorConvolution}, {@code VectorLinear}), reached reflectively so the runtime's public API needs
 * nothing benchmark-only and the vector classes are measured on their own.
 */
final class Layers {
  private Layers() {}

  /**
   * {@code scalar}; {@code vector}: the im2col GEMM ({@code VectorConvolution}) whatever the layer;
   * {@code auto}: what the vector kernels choose for it (Winograd for AlexNet's conv2-5).
   */
  static PreparedLayer conv(
      String impl, Conv2dGeometry g, float[] weight, float[] bias, Activation act) {
    if (impl.equals("scalar")) {
      return ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, act);
    }
    if (impl.equals("auto")) {
      try {
        Kernels vector =
            (Kernels)
                Class.forName("dev.stride.runtime.kernel.VectorKernels")
                    .getDeclaredConstructor()
                    .newInstance();
        return vector.prepareConv2d(g, weight, bias, act);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("run with --add-modules jdk.incubator.vector", e);
      }
    }
    return vector(
        "dev.stride.runtime.kernel.VectorConvolution",
        new Class<?>[] {Conv2dGeometry.class, float[].class, float[].class, Activation.class},
        g,
        weight,
        bias,
        act);
  }

  static PreparedLayer linear(
      String impl, int in, int out, float[] weight, float[] bias, Activation act) {
    if (impl.equals("scalar")) {
      return ScalarKernels.INSTANCE.prepareLinear(in, out, weight, bias, act);
    }
    return vector(
        "dev.stride.runtime.kernel.VectorLinear",
        new Class<?>[] {int.class, int.class, float[].class, float[].class, Activation.class},
        in,
        out,
        weight,
        bias,
        act);
  }

  private static PreparedLayer vector(String type, Class<?>[] parameters, Object... args) {
    try {
      Method prepare = Class.forName(type).getDeclaredMethod("prepare", parameters);
      prepare.setAccessible(true);
      return (PreparedLayer) prepare.invoke(null, args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("run with --add-modules jdk.incubator.vector", e);
    }
  }

  static float[] randoms(long seed, int n) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return a;
  }
}
