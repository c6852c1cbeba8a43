package dev.stride.runtime.kernel;

/** Vector API fully connected layer (placeholder: delegates to the scalar kernels for now). */
final class VectorLinear {
  private VectorLinear() {}

  /**
   * Packs {@code weight (OF, F)} once; the layer maps {@code input (N, F)} to {@code output (N,
   * OF)}, adding {@code bias (OF)} (may be null) and applying {@code activation}.
   */
  static PreparedLayer prepare(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return ScalarKernels.INSTANCE.prepareLinear(inFeatures, outFeatures, weight, bias, activation);
  }
}
