package dev.stride.runtime.engine;

import dev.stride.graph.Conv2d;
import dev.stride.graph.Shape;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.PreparedLayer;

/**
 * {@code input (N, C, H, W), weight (OC, C/groups, KH, KW) -> (N, OC, OH, OW)}, prepared by the
 * kernels for its geometry.
 */
final class Conv2dOp extends GemmOp {
  private final Conv2d kind;

  Conv2dOp(Conv2d kind) {
    this.kind = kind;
  }

  @Override
  Conv2d convolution() {
    return kind;
  }

  /**
   * An inverted-residual block from here on as one step when the kernels fuse it, else one layer.
   */
  @Override
  void plan(Planner p, int i) {
    if (!(p.fuse() && InvertedResidualBlock.plan(p, i))) {
      super.plan(p, i);
    }
  }

  @Override
  PreparedLayer prepare(Planner p, int i, float[] weight, float[] bias, Activation activation) {
    Shape in = p.inShape(i);
    Shape out = p.node(i).out();
    Conv2d c = kind;
    Conv2dGeometry g =
        new Conv2dGeometry(
            in.channels(),
            in.height(),
            in.width(),
            out.channels(),
            out.height(),
            out.width(),
            c.kernelH(),
            c.kernelW(),
            c.strideH(),
            c.strideW(),
            c.padTop(),
            c.padLeft(),
            c.dilationH(),
            c.dilationW(),
            c.groups());
    return p.kernels().prepareConv2d(g, weight, bias, activation);
  }
}
