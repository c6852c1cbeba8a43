package dev.stride.graph;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code input (C, H, W), weight (OC, C/groups, KH, KW) -> (OC, OH, OW)}, with padding per side.
 *
 * <p>Encoded {@code Conv2d 96 k=11x11 s=4x4 p=1,1,1,1 d=1x1 g=1 bias}, with {@code nobias} for no
 * bias and a trailing {@code same} when the padding came from {@code same = true} (which only the
 * summary text shows).
 */
public record Conv2d(
    int outChannels,
    int kernelH,
    int kernelW,
    int strideH,
    int strideW,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    int dilationH,
    int dilationW,
    int groups,
    boolean bias,
    boolean same)
    implements LayerKind {
  /** Checks that sizes are positive and padding is not negative. */
  public Conv2d {
    Kinds.positive("Conv2d out channels", outChannels);
    Kinds.positive("Conv2d kernel", kernelH, kernelW);
    Kinds.positive("Conv2d stride", strideH, strideW);
    Kinds.positive("Conv2d dilation", dilationH, dilationW);
    Kinds.positive("Conv2d groups", groups);
    Kinds.nonNegative("Conv2d padding", padTop, padBottom, padLeft, padRight);
  }

  @Override
  public String type() {
    return "Conv2d";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.conv2d(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    Shape in = Kinds.spatial(type(), inputs);
    if (in.channels() % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException(
          "Conv2d groups "
              + groups
              + " must divide in channels "
              + in.channels()
              + " and out channels "
              + outChannels);
    }
    long oh =
        ShapeArithmetic.convOutput(in.height(), kernelH, strideH, padTop, padBottom, dilationH);
    long ow =
        ShapeArithmetic.convOutput(in.width(), kernelW, strideW, padLeft, padRight, dilationW);
    return Shape.of(outChannels, Kinds.size(type(), "height", oh), Kinds.size(type(), "width", ow));
  }

  @Override
  public List<Param> parameters(List<Shape> inputs) {
    Shape in = Kinds.spatial(type(), inputs);
    List<Param> params = new ArrayList<>();
    int inPerGroup = in.channels() / groups;
    Param.Init init = Param.Init.uniform(inPerGroup * kernelH * kernelW);
    params.add(
        new Param("weight", Shape.of(outChannels, inPerGroup, kernelH, kernelW), false, init));
    if (bias) {
      params.add(new Param("bias", Shape.of(outChannels), false, init));
    }
    return params;
  }

  @Override
  public long multiplyAdds(List<Shape> inputs, Shape out) {
    Shape in = Kinds.spatial(type(), inputs);
    return ShapeArithmetic.conv2dMultiplyAdds(
        in.channels(), outChannels, groups, out.height(), out.width(), kernelH, kernelW);
  }

  @Override
  public String describe(List<Shape> inputs) {
    Shape in = Kinds.spatial(type(), inputs);
    List<String> args = new ArrayList<>();
    args.add(String.valueOf(in.channels()));
    args.add(String.valueOf(outChannels));
    args.add("kernel=" + Kinds.pair(kernelH, kernelW));
    if (strideH != 1 || strideW != 1) {
      args.add("stride=" + Kinds.pair(strideH, strideW));
    }
    if (same) {
      args.add("padding=same");
    } else if (Kinds.padded(padTop, padBottom, padLeft, padRight)) {
      args.add("padding=" + Kinds.padding(padTop, padBottom, padLeft, padRight));
    }
    if (dilationH != 1 || dilationW != 1) {
      args.add("dilation=" + Kinds.pair(dilationH, dilationW));
    }
    if (groups != 1) {
      args.add("groups=" + groups);
    }
    if (!bias) {
      args.add("bias=False");
    }
    return "Conv2d(" + String.join(", ", args) + ")";
  }

  @Override
  public String encode() {
    return "Conv2d "
        + outChannels
        + " k="
        + kernelH
        + "x"
        + kernelW
        + " s="
        + strideH
        + "x"
        + strideW
        + " p="
        + padTop
        + ","
        + padBottom
        + ","
        + padLeft
        + ","
        + padRight
        + " d="
        + dilationH
        + "x"
        + dilationW
        + " g="
        + groups
        + (bias ? " bias" : " nobias")
        + (same ? " same" : "");
  }

  static Conv2d decode(Tokens t) {
    int out = t.positional("out channels");
    int[] k = t.pair("k");
    int[] s = t.pair("s");
    int[] p = t.sides("p");
    int[] d = t.pair("d");
    int g = t.integer("g");
    boolean bias = t.either("bias", "nobias");
    boolean same = t.flag("same");
    try {
      return new Conv2d(
          out, k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1], g, bias, same);
    } catch (IllegalArgumentException e) {
      throw t.error(e.getMessage());
    }
  }
}
