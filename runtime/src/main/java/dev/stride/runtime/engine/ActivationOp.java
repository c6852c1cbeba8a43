package dev.stride.runtime.engine;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Kernels;

/**
 * ReLU, ReLU6, Sigmoid and Tanh: one class, since {@link Activation} already holds what differs
 * between them. Runs in place, unless a producer takes it into its output pass.
 */
final class ActivationOp extends Op {
  private final Activation activation;

  ActivationOp(Activation activation) {
    this.activation = activation;
  }

  @Override
  Activation activation() {
    return activation;
  }

  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    int size = Planner.size(p.inShape(i));
    p.inPlace(i, (x, n) -> activation.apply(kernels, x, n * size));
  }
}
