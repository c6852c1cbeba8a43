package dev.stride.graph;

import java.util.List;

/**
 * {@code (C, H, W) -> (C, OH, OW)}, the maximum of each window; padded cells never win.
 *
 * <p>Encoded {@code MaxPool k=3x3 s=2x2 p=0,0,0,0}, with a trailing {@code ceil} in ceil mode.
 */
public record MaxPool(
    int kernelH,
    int kernelW,
    int strideH,
    int strideW,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    boolean ceilMode)
    implements LayerKind {
  /** Checks that sizes are positive and padding is not negative. */
  public MaxPool {
    Pooling.check(
        "MaxPool", kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight);
  }

  @Override
  public String type() {
    return "MaxPool";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.maxPool(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Pooling.output(
        type(), inputs, kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight,
        ceilMode);
  }

  @Override
  public String describe(List<Shape> inputs) {
    return "MaxPool2d("
        + String.join(
            ", ",
            Pooling.describe(
                kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight, ceilMode))
        + ")";
  }

  @Override
  public String encode() {
    return Pooling.encode(
        type(), kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight, ceilMode);
  }

  static MaxPool decode(Tokens t) {
    int[] k = t.pair("k");
    int[] s = t.pair("s");
    int[] p = t.sides("p");
    boolean ceil = t.flag("ceil");
    try {
      return new MaxPool(k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], ceil);
    } catch (IllegalArgumentException e) {
      throw t.error(e.getMessage());
    }
  }
}
