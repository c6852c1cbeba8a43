package dev.stride.runtime.kernel;

/**
 * An elementwise function applied in a convolution's or linear layer's output pass, so the output
 * is written once instead of written and then read back by a separate activation layer.
 */
public enum Activation {
  /** The identity: no activation follows. */
  NONE,
  /** {@code max(x, 0)}; NaN stays NaN. */
  RELU,
  /** {@code 1 / (1 + exp(-x))}. */
  SIGMOID,
  /** {@code tanh(x)}. */
  TANH;

  /** Applies this activation to {@code x[0, length)} in place with the given kernels. */
  public void apply(Kernels kernels, float[] x, int length) {
    switch (this) {
      case NONE -> {}
      case RELU -> kernels.relu(x, length);
      case SIGMOID -> kernels.sigmoid(x, length);
      case TANH -> kernels.tanh(x, length);
    }
  }
}
