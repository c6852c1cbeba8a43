package dev.stride.runtime;

import java.util.Arrays;

/**
 * A named weight's shape and its float32 values in PyTorch's contiguous (row-major) order.
 *
 * @param shape the dimensions, e.g. {@code (out, in/groups, kh, kw)} for a convolution weight
 * @param data the values; {@code data.length} equals the product of {@code shape}
 */
public record Tensor(int[] shape, float[] data) {
  /** Checks that the data fits the shape. */
  public Tensor {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
    }
  }

  /** The number of values. */
  public int size() {
    return data.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape);
  }
}
