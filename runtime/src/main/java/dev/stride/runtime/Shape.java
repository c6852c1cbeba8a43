package dev.stride.runtime;

import java.util.Arrays;

/**
 * The shape of one sample: {@code (C, H, W)} for images or {@code (F)} for flat features.
 *
 * @param dims the dimensions, one or three of them, each positive
 */
public record Shape(int... dims) {
  /** Checks and copies the dimensions. */
  public Shape {
    if (dims.length != 1 && dims.length != 3) {
      throw new IllegalArgumentException(
          "a sample shape is (C, H, W) or (F), not " + Arrays.toString(dims));
    }
    for (int d : dims) {
      if (d <= 0) {
        throw new IllegalArgumentException("dimensions must be positive: " + Arrays.toString(dims));
      }
    }
    dims = dims.clone();
  }

  /** The same dimensions as a graph shape. */
  public static Shape of(dev.stride.graph.Shape shape) {
    return new Shape(shape.dims());
  }

  /** These dimensions as a graph shape. */
  public dev.stride.graph.Shape toGraph() {
    return dev.stride.graph.Shape.of(dims);
  }

  /** A copy of the dimensions. */
  @Override
  public int[] dims() {
    return dims.clone();
  }

  /** Whether this is a flat {@code (F)} shape. */
  public boolean isFlat() {
    return dims.length == 1;
  }

  /** Channels of {@code (C, H, W)}, or the features of {@code (F)}. */
  public int channels() {
    return dims[0];
  }

  /** Height of {@code (C, H, W)}; 1 for a flat shape. */
  public int height() {
    return isFlat() ? 1 : dims[1];
  }

  /** Width of {@code (C, H, W)}; 1 for a flat shape. */
  public int width() {
    return isFlat() ? 1 : dims[2];
  }

  /** Number of floats in one sample. */
  public int size() {
    int n = 1;
    for (int d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Written as PyTorch users read it, e.g. {@code [96, 54, 54]}. */
  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
