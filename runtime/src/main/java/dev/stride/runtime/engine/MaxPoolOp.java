package dev.stride.runtime.engine;

import dev.stride.graph.MaxPool;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Pool2dGeometry;

/** {@code (N, C, H, W) -> (N, C, OH, OW)}; padded cells never win. */
final class MaxPoolOp extends Op {
  private final MaxPool kind;

  MaxPoolOp(MaxPool kind) {
    this.kind = kind;
  }

  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    MaxPool k = kind;
    Pool2dGeometry g =
        p.poolGeometry(
            i,
            k.kernelH(),
            k.kernelW(),
            k.strideH(),
            k.strideW(),
            k.padTop(),
            k.padBottom(),
            k.padLeft(),
            k.padRight());
    p.outOfPlace(i, (src, n, dst) -> kernels.maxPool2d(src, n, g, dst));
  }
}
