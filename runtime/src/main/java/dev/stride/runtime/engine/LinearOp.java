package dev.stride.runtime.engine;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.PreparedLayer;

/** {@code input (N, F), weight (OF, F) -> (N, OF)}. */
final class LinearOp extends GemmOp {
  @Override
  PreparedLayer prepare(Planner p, int i, float[] weight, float[] bias, Activation activation) {
    return p.kernels()
        .prepareLinear(
            Planner.size(p.inShape(i)), Planner.size(p.node(i).out()), weight, bias, activation);
  }
}
