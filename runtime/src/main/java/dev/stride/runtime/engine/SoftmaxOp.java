package dev.stride.runtime.engine;

import dev.stride.runtime.kernel.Kernels;

/** Softmax over the features of {@code (N, F)}, in place. */
final class SoftmaxOp extends Op {
  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    int features = Planner.size(p.inShape(i));
    p.inPlace(i, (x, n) -> kernels.softmax(x, n, features));
  }
}
