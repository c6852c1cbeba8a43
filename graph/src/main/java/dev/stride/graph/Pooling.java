package dev.stride.graph;

import java.util.ArrayList;
import java.util.List;

/** What max and average pooling share: the window, its shape rule and its text. */
final class Pooling {
  private Pooling() {}

  static void check(String type, int kh, int kw, int sh, int sw, int... pads) {
    Kinds.positive(type + " kernel", kh, kw);
    Kinds.positive(type + " stride", sh, sw);
    Kinds.nonNegative(type + " padding", pads);
  }

  static Shape output(
      String type,
      List<Shape> inputs,
      int kh,
      int kw,
      int sh,
      int sw,
      int pt,
      int pb,
      int pl,
      int pr,
      boolean ceil) {
    Shape in = Kinds.spatial(type, inputs);
    long oh = ShapeArithmetic.poolOutput(in.height(), kh, sh, pt, pb, ceil);
    long ow = ShapeArithmetic.poolOutput(in.width(), kw, sw, pl, pr, ceil);
    return Shape.of(in.channels(), Kinds.size(type, "height", oh), Kinds.size(type, "width", ow));
  }

  /** The arguments PyTorch prints, after the kernel only those not at their default. */
  static List<String> describe(
      int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr, boolean ceil) {
    List<String> args = new ArrayList<>();
    args.add("kernel=" + Kinds.pair(kh, kw));
    if (sh != kh || sw != kw) {
      args.add("stride=" + Kinds.pair(sh, sw));
    }
    if (Kinds.padded(pt, pb, pl, pr)) {
      args.add("padding=" + Kinds.padding(pt, pb, pl, pr));
    }
    if (ceil) {
      args.add("ceil_mode=True");
    }
    return args;
  }

  static String encode(
      String type, int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr, boolean ceil) {
    return type
        + " k="
        + kh
        + "x"
        + kw
        + " s="
        + sh
        + "x"
        + sw
        + " p="
        + pt
        + ","
        + pb
        + ","
        + pl
        + ","
        + pr
        + (ceil ? " ceil" : "");
  }
}
