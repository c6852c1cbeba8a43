package dev.stride.graph;

import java.util.Arrays;

/**
 * An immutable list of positive dimensions: one sample's {@code (C, H, W)} or {@code (F)}, or a
 * parameter's shape such as a convolution weight's {@code (OC, C/g, KH, KW)}.
 */
public final class Shape {
  private final int[] dims;

  private Shape(int[] dims) {
    if (dims.length == 0) {
      throw new IllegalArgumentException("a shape has at least one dimension");
    }
    for (int d : dims) {
      if (d < 1) {
        throw new IllegalArgumentException("dimensions must be positive: " + Arrays.toString(dims));
      }
    }
    this.dims = dims;
  }

  /** The shape with these dimensions, copied. */
  public static Shape of(int... dims) {
    return new Shape(dims.clone());
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** Dimension {@code i}. */
  public int dim(int i) {
    return dims[i];
  }

  /** The number of elements; a long because valid dimensions can multiply past an int. */
  public long size() {
    long n = 1;
    for (int d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
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

  /**
   * The inverse of {@link #toString()}: {@code [96, 54, 54]}.
   *
   * @throws IllegalArgumentException if {@code text} is not such a list of positive ints
   */
  public static Shape parse(String text) {
    String t = text.strip();
    if (!t.startsWith("[") || !t.endsWith("]")) {
      throw new IllegalArgumentException("a shape is written [C, H, W] or [F], not '" + text + "'");
    }
    String[] parts = t.substring(1, t.length() - 1).split(",");
    int[] dims = new int[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        dims[i] = Integer.parseInt(parts[i].strip());
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a shape is written [C, H, W] or [F], not '" + text + "'");
    }
    return new Shape(dims);
  }
}
