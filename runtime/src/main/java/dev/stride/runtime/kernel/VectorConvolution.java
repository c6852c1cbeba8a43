package dev.stride.runtime.kernel;

/** Vector API convolution (placeholder: delegates to the scalar kernels until the GEMM lands). */
final class VectorConvolution {
  private VectorConvolution() {}

  /**
   * Packs {@code weight (OC, C/groups, KH, KW)} once; the layer maps {@code input (N, C, H, W)} to
   * {@code output (N, OC, OH, OW)}, adding {@code bias (OC)} (may be null) and applying {@code
   * activation} in its output pass.
   */
  static PreparedLayer prepare(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    return ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, activation);
  }
}
