package dev.stride.runtime.kernel;

/** Argument checks shared by the geometry records. */
final class Geometry {
  private Geometry() {}

  static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }

  static void nonNegative(String name, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative, got " + value);
    }
  }

  /** Kernels index with {@code int}, so every per-sample size must fit one. */
  static void size(long a, long b, long c) {
    long n = a * b; // both < 2^31, so this and n * c below (only reached when c < 2^31) fit a long
    if (n > Integer.MAX_VALUE || c > Integer.MAX_VALUE || n * c > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          a + " x " + b + " x " + c + " values do not fit in one Java array");
    }
  }
}
