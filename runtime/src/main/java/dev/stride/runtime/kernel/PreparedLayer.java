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
}
