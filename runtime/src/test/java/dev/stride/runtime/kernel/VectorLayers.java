package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Reaches the Vector API layers by name, so test classes never link against them: without {@code
 * --add-modules jdk.incubator.vector} the tests that call this skip instead of failing to load.
 */
final class VectorLayers {
  private VectorLayers() {}

  /** Skips the calling test unless the incubator module is in the boot layer. */
  static void assumeVectorModule() {
    assumeTrue(
        ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "jdk.incubator.vector is not present");
  }

  /**
   * The one tolerance of these tests: {@link ScalarKernelsTest#TOLERANCE} (1e-5) times the largest
   * magnitude among the reference output and the reference pre-activation output (both kernels sum
   * in float in different orders, and sigmoid/tanh squash the output but not that rounding error),
   * plus 1e-6 absolute. NaN must match NaN.
   */
  static void assertClose(
      float[] expected, float[] preActivation, float[] actual, int length, String what) {
    double scale = 0;
    for (int i = 0; i < length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      scale = Math.max(scale, Math.abs(preActivation[i]));
    }
    double tolerance = ScalarKernelsTest.TOLERANCE * scale + 1e-6;
    for (int i = 0; i < length; i++) {
      boolean bothNaN = Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
      if (!bothNaN && !(Math.abs(expected[i] - actual[i]) <= tolerance)) {
        throw new AssertionError(
            what + ": at " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }

  static PreparedLayer conv(Conv2dGeometry g, float[] weight, float[] bias, Activation act) {
    return call(
        "dev.stride.runtime.kernel.VectorConvolution",
        new Class<?>[] {Conv2dGeometry.class, float[].class, float[].class, Activation.class},
        g,
        weight,
        bias,
        act);
  }

  static PreparedLayer depthwise(Conv2dGeometry g, float[] weight, float[] bias, Activation act) {
    return call(
        "dev.stride.runtime.kernel.VectorDepthwise",
        new Class<?>[] {Conv2dGeometry.class, float[].class, float[].class, Activation.class},
        g,
        weight,
        bias,
        act);
  }

  /** The Winograd layer for {@code w}, whatever {@link WinogradMatrices#choose} would say. */
  static PreparedLayer winograd(
      Conv2dGeometry g, WinogradMatrices w, float[] weight, float[] bias, Activation act) {
    return winograd("prepare", g, w, weight, bias, act);
  }

  /** {@code VectorWinograd.prepareBest}: {@code w} for small batches, larger tiles for big ones. */
  static PreparedLayer winogradBest(
      Conv2dGeometry g, WinogradMatrices w, float[] weight, float[] bias, Activation act) {
    return winograd("prepareBest", g, w, weight, bias, act);
  }

  private static PreparedLayer winograd(
      String method,
      Conv2dGeometry g,
      WinogradMatrices w,
      float[] weight,
      float[] bias,
      Activation act) {
    return call(
        "dev.stride.runtime.kernel.VectorWinograd",
        method,
        new Class<?>[] {
          Conv2dGeometry.class,
          WinogradMatrices.class,
          float[].class,
          float[].class,
          Activation.class
        },
        g,
        w,
        weight,
        bias,
        act);
  }

  static PreparedLayer linear(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation act) {
    return call(
        "dev.stride.runtime.kernel.VectorLinear",
        new Class<?>[] {int.class, int.class, float[].class, float[].class, Activation.class},
        inFeatures,
        outFeatures,
        weight,
        bias,
        act);
  }

  private static PreparedLayer call(String type, Class<?>[] parameters, Object... args) {
    return call(type, "prepare", parameters, args);
  }

  private static PreparedLayer call(
      String type, String method, Class<?>[] parameters, Object... args) {
    assumeVectorModule();
    try {
      Method prepare = Class.forName(type).getDeclaredMethod(method, parameters);
      return (PreparedLayer) prepare.invoke(null, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new AssertionError(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
