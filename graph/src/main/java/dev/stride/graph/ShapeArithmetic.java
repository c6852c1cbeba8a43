package dev.stride.graph;

import java.util.List;

/**
 * PyTorch's size arithmetic for one dimension, and the parameter and multiply-add counts; pure,
 * shared by checking, the summary and code generation.
 *
 * <p>Sizes are longs so that sums of valid ints cannot overflow; products use {@link
 * Math#multiplyExact}, which throws {@link ArithmeticException} for the caller to report.
 */
public final class ShapeArithmetic {
  private ShapeArithmetic() {}

  /** The extent of a kernel of {@code k} taps spaced {@code dilation} apart: {@code d*(k-1)+1}. */
  public static long span(long k, long dilation) {
    return dilation * (k - 1) + 1;
  }

  /** Convolution: {@code floor((n + before + after - dilation*(k-1) - 1) / s) + 1}. */
  public static long convOutput(long n, long k, long s, long before, long after, long dilation) {
    // floorDiv, not '/': a negative numerator must give an output below 1, as in PyTorch.
    return Math.floorDiv(n + before + after - span(k, dilation), s) + 1;
  }

  /**
   * Pooling: {@link #convOutput} with dilation 1; with {@code ceil}, rounds up and then drops a
   * last window that would start in the bottom/right padding, as PyTorch's {@code
   * pooling_output_shape}.
   */
  public static long poolOutput(long n, long k, long s, long before, long after, boolean ceil) {
    if (!ceil) {
      return convOutput(n, k, s, before, after, 1);
    }
    long out = Math.floorDiv(n + before + after - k + s - 1, s) + 1;
    if ((out - 1) * s >= n + before) {
      out--;
    }
    return out;
  }

  /** Same padding's output: {@code ceil(n / s)}. */
  public static long sameOutput(long n, long s) {
    return Math.floorDiv(n + s - 1, s);
  }

  /**
   * Same padding per side, {@code {before, after}}: the total {@code max((out-1)*s + dilation*(k-1)
   * + 1 - n, 0)}, the odd pixel after (bottom/right), as PyTorch and TensorFlow.
   */
  public static long[] samePadding(long n, long k, long s, long dilation) {
    long total = Math.max((sameOutput(n, s) - 1) * s + span(k, dilation) - n, 0);
    return new long[] {total / 2, total - total / 2};
  }

  /**
   * Input rows (or columns) after the last window, which floor division drops: {@code (n + before +
   * after - dilation*(k-1) - 1) % s}; 0 when not even one window fits.
   */
  public static long unused(long n, long k, long s, long before, long after, long dilation) {
    long room = n + before + after - span(k, dilation);
    return room < 0 ? 0 : room % s;
  }

  /** {@code {h, w}} from one value or two; null for any other length. */
  public static int[] pair(List<Integer> values) {
    return switch (values.size()) {
      case 1 -> new int[] {values.get(0), values.get(0)};
      case 2 -> new int[] {values.get(0), values.get(1)};
      default -> null;
    };
  }

  /** {@code {top, bottom, left, right}} from one value, {@code {h, w}} or four; null otherwise. */
  public static int[] sides(List<Integer> values) {
    return switch (values.size()) {
      case 1 -> new int[] {values.get(0), values.get(0), values.get(0), values.get(0)};
      case 2 -> new int[] {values.get(0), values.get(0), values.get(1), values.get(1)};
      case 4 -> new int[] {values.get(0), values.get(1), values.get(2), values.get(3)};
      default -> null;
    };
  }

  /** {@code nn.Conv2d}'s parameters: {@code out*(in/groups)*kh*kw}, plus {@code out} for a bias. */
  public static long conv2dParameters(
      long in, long out, long groups, long kh, long kw, boolean bias) {
    long weights =
        Math.multiplyExact(Math.multiplyExact(out, in / groups), Math.multiplyExact(kh, kw));
    return bias ? Math.addExact(weights, out) : weights;
  }

  /** {@code nn.Linear}'s parameters: {@code out*in}, plus {@code out} for a bias. */
  public static long linearParameters(long in, long out, boolean bias) {
    long weights = Math.multiplyExact(in, out);
    return bias ? Math.addExact(weights, out) : weights;
  }

  /** Batch norm's parameters: weight and bias per channel (running stats are buffers). */
  public static long batchNormParameters(long channels) {
    return Math.multiplyExact(2, channels);
  }

  /** A convolution's multiply-adds per sample: {@code outC*oh*ow*(inC/groups)*kh*kw}. */
  public static long conv2dMultiplyAdds(
      long in, long out, long groups, long oh, long ow, long kh, long kw) {
    long outputs = Math.multiplyExact(Math.multiplyExact(out, oh), ow);
    return Math.multiplyExact(outputs, Math.multiplyExact(in / groups, Math.multiplyExact(kh, kw)));
  }

  /** A linear layer's multiply-adds per sample: {@code in*out}. */
  public static long linearMultiplyAdds(long in, long out) {
    return Math.multiplyExact(in, out);
  }
}
