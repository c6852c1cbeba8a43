package dev.stride.graph;

import java.util.List;

/**
 * {@code (C, H, W) -> (C, OH, OW)}, the mean of each window with PyTorch's divisor rules.
 *
 * <p>Encoded {@code AvgPool k=2x2 s=2x2 p=0,0,0,0}, with a trailing {@code ceil} in ceil mode and
 * {@code nopadcount} when padded cells are not counted ({@code count_include_pad=False}).
 */
public record AvgPool(
    int kernelH,
    int kernelW,
    int strideH,
    int strideW,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    boolean ceilMode,
    boolean countIncludePad)
    implements LayerKind {
  /** Checks that sizes are positive and padding is not negative. */
  public AvgPool {
    Pooling.check(
        "AvgPool", kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight);
  }

  @Override
  public String type() {
    return "AvgPool";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.avgPool(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Pooling.output(
        type(), inputs, kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight,
        ceilMode);
  }

  @Override
  public String describe(List<Shape> inputs) {
    List<String> args =
        Pooling.describe(
            kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight, ceilMode);
    if (!countIncludePad) {
      args.add("count_include_pad=False");
    }
    return "AvgPool2d(" + String.join(", ", args) + ")";
  }

  @Override
  public String encode() {
    return Pooling.encode(
            type(), kernelH, kernelW, strideH, strideW, padTop, padBottom, padLeft, padRight,
            ceilMode)
        + (countIncludePad ? "" : " nopadcount");
  }

  static AvgPool decode(Tokens t) {
    int[] k = t.pair("k");
    int[] s = t.pair("s");
    int[] p = t.sides("p");
    boolean ceil = t.flag("ceil");
    boolean include = !t.flag("nopadcount");
    try {
      return new AvgPool(k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], ceil, include);
    } catch (IllegalArgumentException e) {
      throw t.error(e.getMessage());
    }
  }
}
