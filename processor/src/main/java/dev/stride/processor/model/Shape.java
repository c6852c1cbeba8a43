package dev.stride.processor.model;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The shape of one sample, {@code (C, H, W)} or {@code (F)}, as the processor infers it.
 *
 * @param dims one or three positive dimensions
 */
public record Shape(List<Integer> dims) {
  /** Copies the dimensions. */
  public Shape {
    dims = List.copyOf(dims);
  }

  /** {@code (C, H, W)}. */
  public static Shape of(int channels, int height, int width) {
    return new Shape(List.of(channels, height, width));
  }

  /** {@code (F)}. */
  public static Shape flat(int features) {
    return new Shape(List.of(features));
  }

  /** Whether this is a flat {@code (F)} shape. */
  public boolean isFlat() {
    return dims.size() == 1;
  }

  /** Channels of {@code (C, H, W)}, or the features of {@code (F)}. */
  public int channels() {
    return dims.get(0);
  }

  /** Height of {@code (C, H, W)}. */
  public int height() {
    return dims.get(1);
  }

  /** Width of {@code (C, H, W)}. */
  public int width() {
    return dims.get(2);
  }

  /** Floats in one sample; a long because the product of valid dimensions can overflow an int. */
  public long size() {
    long n = 1;
    for (int d : dims) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The dimensions joined by {@code sep}, e.g. {@code 256 x 5 x 5}. */
  public String join(String sep) {
    return dims.stream().map(String::valueOf).collect(Collectors.joining(sep));
  }

  /** Written as PyTorch users read it, e.g. {@code [96, 54, 54]}. */
  @Override
  public String toString() {
    return "[" + join(", ") + "]";
  }
}
