package dev.stride.runtime.kernel;

/**
 * A convolution or linear layer whose weights were prepared once, at load (packed for the
 * micro-kernel, BatchNorm folded in), with its bias and activation fused into the output pass.
 *
 * <p>Immutable and safe to call from several threads at once; any scratch space is the
 * implementation's own, per thread.
 */
@FunctionalInterface
public interface PreparedLayer {
  /**
   * Computes {@code n} samples: {@code input (N, ...)} to {@code output (N, ...)}, the two arrays
   * distinct; arrays may be longer than needed.
   */
  void run(float[] input, int n, float[] output);

  /**
   * Computes {@code n} samples into channels {@code [outChannelOffset, outChannelOffset + OC)} of
   * {@code output (N, outChannels, ...)} (a Concat's slice; a flat layer's channels are its
   * features), adding {@code residual (N, OC, ...)} (may be null) after the bias and before the
   * activation: {@code out = act(layer(x) + bias + residual)}. The other channels of {@code output}
   * are left as they are; {@code residual} may not be {@code output}.
   *
   * <p>Every layer that {@link Kernels#prepareConv2d} and {@link Kernels#prepareLinear} return
   * implements this, the fast ones in their output pass and the others through {@link #unfused}; a
   * bare lambda knows neither its sizes nor its activation, so this default can only refuse.
   */
  default void run(
      float[] input,
      int n,
      float[] output,
      int outChannelOffset,
      int outChannels,
      float[] residual) {
    throw new UnsupportedOperationException(
        "this layer cannot write into a channel slice or add a residual; wrap it with"
            + " PreparedLayer.unfused");
  }

  /**
   * Whether {@link #weight} gives back, bit for bit, the weight this layer was prepared from, so
   * that the caller need not keep its own copy beside the layer's (one copy of each weight).
   */
  default boolean rebuildsWeight() {
    return false;
  }

  /**
   * The weight this layer was prepared from, in PyTorch's layout ({@code (OC, C/g, KH, KW)} or
   * {@code (OF, F)}), as a new array rebuilt from the layer's own copy when {@link
   * #rebuildsWeight}; null otherwise.
   */
  default float[] weight() {
    return null;
  }

  /**
   * A layer from {@code plain}, which computes {@code (N, OC, spatial)} without activation, that
   * applies {@code activation} with {@code kernels}; its slice/residual {@link #run(float[], int,
   * float[], int, int, float[]) run} goes through a scratch array: correct, but a pass more than a
   * fused output pass.
   */
  static PreparedLayer unfused(
      Kernels kernels, int outChannels, int spatial, Activation activation, PreparedLayer plain) {
    return new UnfusedLayer(kernels, outChannels, spatial, activation, plain);
  }
}
