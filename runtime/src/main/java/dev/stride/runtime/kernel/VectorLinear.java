package dev.stride.runtime.kernel;

/**
 * Fully connected layers on the Vector API: weights packed once for a register-blocked GEMM.
 *
 * <p>Stub with the agreed signature until the {@code gemm} branch lands; it delegates to the scalar
 * reference so that planning code can be written and tested against it now.
 */
final class VectorLinear {
  private VectorLinear() {}

  /** {@code input (N, in), weight (out, in), bias (out) or null -> (N, out)}. */
  static PreparedLayer prepare(
      int in, int out, float[] weight, float[] bias, Activation activation) {
    return ScalarKernels.INSTANCE.prepareLinear(in, out, weight, bias, activation);
  }
}
