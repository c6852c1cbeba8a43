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
  /** {@code min(max(x, 0), 6)}, as MobileNetV2's {@code nn.ReLU6}; NaN stays NaN. */
  RELU6,
  /** {@code 1 / (1 + exp(-x))}. */
  SIGMOID,
  /** {@code tanh(x)}. */
  TANH;

  /** Applies this activation to {@code x[0, length)} in place with the given kernels. */
  public void apply(Kernels kernels, float[] x, int length) {
    switch (this) {
      case NONE -> {}
      case RELU -> kernels.relu(x, length);
      case RELU6 -> kernels.relu6(x, length);
      case SIGMOID -> kernels.sigmoid(x, length);
      case TANH -> kernels.tanh(x, length);
    }
  }

  /** This activation of one value, as the scalar kernels compute it. */
  public float apply(float x) {
    return switch (this) {
      case NONE -> x;
      case RELU -> x < 0f ? 0f : x;
      case RELU6 -> x < 0f ? 0f : x > 6f ? 6f : x;
      case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-(double) x)));
      case TANH -> (float) Math.tanh(x);
    };
  }
}
