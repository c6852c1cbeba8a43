package dev.stride.runtime;

/**
 * One node of a network's graph as a record per kind, with every size resolved (padding per side,
 * output shape): a read-only view that {@link NetworkDef#layers()} gives for code written before
 * the graph (the graph itself is {@link NetworkDef#graph()}). {@link #in()} is the node's first
 * input's shape.
 */
public sealed interface LayerDef {
  /** The field name, which prefixes the layer's weight names. */
  String name();

  /** The shape of one input sample. */
  Shape in();

  /** The shape of one output sample. */
  Shape out();

  /**
   * {@code input (N, C, H, W), weight (OC, C/groups, KH, KW) -> (N, OC, OH, OW)}.
   *
   * @param padding {@code {top, bottom, left, right}}
   */
  record Conv2d(
      String name,
      Shape in,
      Shape out,
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
      boolean bias)
      implements LayerDef {}

  /** What max and average pooling share: a window, a stride and padding per side. */
  sealed interface Pool2d extends LayerDef permits MaxPool, AvgPool {
    /** Window height. */
    int kernelH();

    /** Window width. */
    int kernelW();

    /** Vertical stride. */
    int strideH();

    /** Horizontal stride. */
    int strideW();

    /** Rows of padding above. */
    int padTop();

    /** Rows of padding below. */
    int padBottom();

    /** Columns of padding on the left. */
    int padLeft();

    /** Columns of padding on the right. */
    int padRight();
  }

  /** {@code (N, C, H, W) -> (N, C, OH, OW)}; padded cells never win. */
  record MaxPool(
      String name,
      Shape in,
      Shape out,
      int kernelH,
      int kernelW,
      int strideH,
      int strideW,
      int padTop,
      int padBottom,
      int padLeft,
      int padRight)
      implements Pool2d {}

  /** {@code (N, C, H, W) -> (N, C, OH, OW)} with PyTorch's divisor rules. */
  record AvgPool(
      String name,
      Shape in,
      Shape out,
      int kernelH,
      int kernelW,
      int strideH,
      int strideW,
      int padTop,
      int padBottom,
      int padLeft,
      int padRight,
      boolean countIncludePad)
      implements Pool2d {}

  /** {@code (N, C, H, W) -> (N, C, 1, 1)}. */
  record GlobalAvgPool(String name, Shape in, Shape out) implements LayerDef {}

  /** Eval-mode batch norm per channel of {@code (C, H, W)} or per feature of {@code (F)}. */
  record BatchNorm(String name, Shape in, Shape out, double eps) implements LayerDef {}

  /** {@code max(x, 0)}. */
  record ReLU(String name, Shape in, Shape out) implements LayerDef {}

  /** {@code min(max(x, 0), 6)}. */
  record ReLU6(String name, Shape in, Shape out) implements LayerDef {}

  /** {@code 1 / (1 + exp(-x))}. */
  record Sigmoid(String name, Shape in, Shape out) implements LayerDef {}

  /** {@code tanh(x)}. */
  record Tanh(String name, Shape in, Shape out) implements LayerDef {}

  /** Softmax over the features of {@code (N, F)}. */
  record Softmax(String name, Shape in, Shape out) implements LayerDef {}

  /** {@code (N, C, H, W) -> (N, C*H*W)}: no data moves. */
  record Flatten(String name, Shape in, Shape out) implements LayerDef {}

  /** {@code input (N, F), weight (OF, F) -> (N, OF)}. */
  record Linear(String name, Shape in, Shape out, boolean bias) implements LayerDef {}

  /** The identity at inference; kept so that names and counts match PyTorch. */
  record Dropout(String name, Shape in, Shape out, double p) implements LayerDef {}

  /** The sum of two inputs of shape {@code in}: a residual connection. */
  record Add(String name, Shape in, Shape out) implements LayerDef {}

  /** Inputs joined along channels; {@code in} is the first input's shape. */
  record Concat(String name, Shape in, Shape out) implements LayerDef {}
}
