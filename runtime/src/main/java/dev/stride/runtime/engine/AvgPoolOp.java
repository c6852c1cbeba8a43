package dev.stride.runtime.engine;

import dev.stride.graph.AvgPool;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Pool2dGeometry;

/** {@code (N, C, H, W) -> (N, C, OH, OW)} with PyTorch's divisor rules. */
final class AvgPoolOp extends Op {
  private final AvgPool kind;

  AvgPoolOp(AvgPool kind) {
    this.kind = kind;
  }

  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    AvgPool k = kind;
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
    boolean includePad = k.countIncludePad();
    p.outOfPlace(i, (src, n, dst) -> kernels.avgPool2d(src, n, g, includePad, dst));
  }
}
