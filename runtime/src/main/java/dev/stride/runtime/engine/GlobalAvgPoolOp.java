package dev.stride.runtime.engine;

import dev.stride.graph.Shape;
import dev.stride.runtime.kernel.Kernels;

/** {@code (N, C, H, W) -> (N, C, 1, 1)}. */
final class GlobalAvgPoolOp extends Op {
  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    Shape in = p.inShape(i);
    int channels = in.channels();
    int spatial = in.height() * in.width();
    p.outOfPlace(i, (src, n, dst) -> kernels.globalAvgPool(src, n, channels, spatial, dst));
  }
}
