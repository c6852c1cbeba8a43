package dev.stride.runtime.engine;

/**
 * One activation the plan computes: {@code size} floats per sample, kept in a storage that {@link
 * Planner} assigns by liveness once every step is known.
 */
final class Value {
  /** Storage of the caller's input array, which no step writes. */
  static final int INPUT = -1;

  /** Storage of the caller's output array. */
  static final int OUTPUT = -2;

  /** Floats per sample. */
  final int size;

  /** {@link #INPUT}, {@link #OUTPUT}, or the index of a per-thread buffer. */
  int storage = Integer.MIN_VALUE;

  /** The first and last step that touch it, for liveness. */
  int first = -1;

  int last = -1;

  Value(int size) {
    this.size = size;
  }
}
