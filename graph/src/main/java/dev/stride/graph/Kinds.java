package dev.stride.graph;

import java.util.List;

/** Checks and texts that several layer kinds share. */
final class Kinds {
  private Kinds() {}

  /** The one input of a single-input kind. */
  static Shape single(String type, List<Shape> inputs) {
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(type + " takes one input, not " + inputs.size());
    }
    return inputs.get(0);
  }

  /** The one {@code (C, H, W)} input of a spatial kind. */
  static Shape spatial(String type, List<Shape> inputs) {
    Shape in = single(type, inputs);
    if (in.rank() != 3) {
      throw new IllegalArgumentException(type + " needs a (C, H, W) input, not " + in);
    }
    return in;
  }

  /** The one {@code (F)} input of a flat kind. */
  static Shape flat(String type, List<Shape> inputs) {
    Shape in = single(type, inputs);
    if (!in.isFlat()) {
      throw new IllegalArgumentException(type + " needs a flat (F) input, not " + in);
    }
    return in;
  }

  /** An output size as an int, or an error naming it if it is below 1 or too large. */
  static int size(String type, String dimension, long n) {
    if (n < 1 || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          type + ": output " + dimension + " " + n + " is not valid");
    }
    return (int) n;
  }

  static void positive(String what, int... values) {
    for (int v : values) {
      if (v < 1) {
        throw new IllegalArgumentException(what + " must be positive, got " + v);
      }
    }
  }

  static void nonNegative(String what, int... values) {
    for (int v : values) {
      if (v < 0) {
        throw new IllegalArgumentException(what + " must not be negative, got " + v);
      }
    }
  }

  static String pair(int h, int w) {
    return h == w ? String.valueOf(h) : "(" + h + ", " + w + ")";
  }

  static boolean padded(int top, int bottom, int left, int right) {
    return top != 0 || bottom != 0 || left != 0 || right != 0;
  }

  static String padding(int top, int bottom, int left, int right) {
    if (top == bottom && left == right) {
      return pair(top, left);
    }
    return "(" + top + ", " + bottom + ", " + left + ", " + right + ")";
  }
}
