package dev.stride.runtime.kernel;

/**
 * Convolution on the Vector API: weights packed once for a register-blocked GEMM.
 *
 * <p>Stub with the agreed signature until the {@code gemm} branch lands; it delegates to the scalar
 * reference so that planning code can be written and tested against it now.
 */
final class VectorConvolution {
  private VectorConvolution() {}

  /** {@code input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) or null -> (N, OC, OH, OW)}. */
  static PreparedLayer prepare(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    return ScalarKernels.INSTANCE.prepareConv2d(g, weight, bias, activation);
  }
}
