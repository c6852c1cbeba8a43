package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every branch of {@link KernelProvider#choose}, with the module check and loader stubbed. */
class KernelProviderTest {
  static final Supplier<Optional<Kernels>> MUST_NOT_LOAD =
      () -> fail("the vector implementation must not be loaded");

  @Test
  void scalarWhenAsked() {
    KernelProvider.Choice c = KernelProvider.choose("scalar", true, MUST_NOT_LOAD);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
  }

  @Test
  void autoWithoutModuleIsScalarAndSaysHowToEnableSimd() {
    for (String mode : new String[] {"auto", "vector", " AUTO "}) {
      KernelProvider.Choice c = KernelProvider.choose(mode, false, MUST_NOT_LOAD);
      assertSame(ScalarKernels.INSTANCE, c.kernels(), mode);
      assertTrue(c.reason().contains("--add-modules jdk.incubator.vector"), c.reason());
    }
  }

  @Test
  void moduleWithoutImplementationFallsBackToScalar() {
    KernelProvider.Choice c = KernelProvider.choose("auto", true, Optional::empty);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
  }

  @Test
  void moduleWithImplementationUsesIt() {
    Kernels fake = new FakeKernels();
    KernelProvider.Choice c = KernelProvider.choose("vector", true, () -> Optional.of(fake));
    assertSame(fake, c.kernels());
  }

  @Test
  void unknownModeFallsBackToAutoAndSaysSo() {
    KernelProvider.Choice c = KernelProvider.choose("simd", false, MUST_NOT_LOAD);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
    assertTrue(c.reason().contains("unknown -Dstride.kernels=simd"), c.reason());
  }

  @Test
  void noVectorImplementationInThisBuild() {
    assertEquals(Optional.empty(), KernelProvider.loadVectorKernels());
    assertSame(ScalarKernels.INSTANCE, KernelProvider.kernels());
  }

  /** Stands in for a Vector API implementation; never run. */
  private static final class FakeKernels implements Kernels {
    @Override
    public String name() {
      return "fake";
    }

    @Override
    public void conv2d(
        float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {}

    @Override
    public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {}

    @Override
    public void avgPool2d(
        float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {}

    @Override
    public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {}

    @Override
    public void batchNorm(
        float[] x,
        int n,
        int channels,
        int spatial,
        float[] mean,
        float[] var,
        float[] weight,
        float[] bias,
        double eps) {}

    @Override
    public void relu(float[] x, int length) {}

    @Override
    public void sigmoid(float[] x, int length) {}

    @Override
    public void tanh(float[] x, int length) {}

    @Override
    public void softmax(float[] x, int n, int features) {}

    @Override
    public void linear(
        float[] input,
        int n,
        int inFeatures,
        float[] weight,
        float[] bias,
        int outFeatures,
        float[] output) {}
  }
}
