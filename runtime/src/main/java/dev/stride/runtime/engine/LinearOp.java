package dev.stride.runtime.engine;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.PreparedLayer;

/** {@code input (N, F), weight (OF, F) -> (N, OF)}. */
final class LinearOp extends GemmOp {
  @Override
  PreparedLayer prepare(Planner p, int i, float[] weight, float[] bias, Activation activation) {
    int in = Planner.size(p.inShape(i));
    int out = Planner.size(p.node(i).out());
    // Weights handed over are the plan's to reuse; see Plan.of.
    return p.handedOver()
        ? p.kernels().prepareLinearHandedOver(in, out, weight, bias, activation)
        : p.kernels().prepareLinear(in, out, weight, bias, activation);
  }
}
