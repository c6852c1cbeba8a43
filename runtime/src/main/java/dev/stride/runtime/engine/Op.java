package dev.stride.runtime.engine;

import dev.stride.graph.Conv2d;
import dev.stride.runtime.kernel.Activation;

/**
 * How one layer kind runs: the steps {@link Planner} makes of its node, and what it offers to the
 * fusions of the layer before it. One subclass per kind, found by {@link Ops#of}; the planner
 * itself knows no kind.
 */
abstract class Op {
  /** How a node's value relates to its input's. */
  enum Alias {
    /** A value of its own. */
    NONE,
    /** Its input's value, same shape (Dropout): fusions look through it. */
    SAME,
    /** Its input's value, reshaped (Flatten): only activations look through it. */
    RESHAPE
  }

  /** Plans node {@code i}, which no earlier node's step has absorbed, into steps of {@code p}. */
  abstract void plan(Planner p, int i);

  /** How the node's value relates to its input's; {@link Alias#NONE} unless it moves no data. */
  Alias alias() {
    return Alias.NONE;
  }

  /** The elementwise function this kind applies, which a producer can run in its output pass. */
  Activation activation() {
    return null;
  }

  /**
   * A producer's {@code weight} (in rows per output channel) and {@code bias} (null if it has none)
   * with node {@code i}, this op's node, folded in; null if this kind does not fold.
   */
  float[][] fold(Planner p, int i, float[] weight, float[] bias) {
    return null;
  }

  /** Whether this kind sums two operands, so a producer of one can add the other in its output. */
  boolean sums() {
    return false;
  }

  /** The convolution this kind is, for fusions over several layers; null for other kinds. */
  Conv2d convolution() {
    return null;
  }

  /** Whether this kind joins channels, so a producer can write its slice of the output directly. */
  boolean joinsChannels() {
    return false;
  }
}
