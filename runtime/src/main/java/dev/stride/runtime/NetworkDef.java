package dev.stride.runtime;

import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Node;
import dev.stride.graph.ShapeArithmetic;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A network's graph: the input shape and its nodes, each with every size resolved and its output
 * shape, as the processor computed (and checked) them.
 *
 * <p>Generated classes build theirs once, in a static initializer, with {@link #table}: one row per
 * node in the grammar {@link Graph} documents. {@link #builder} builds a chain, one call per layer.
 * Either way the graph module checks the table's structure and that each output is what its kind
 * makes of its inputs; the runtime does no shape arithmetic of its own.
 */
public final class NetworkDef {
  private final Graph graph;
  private final Shape input;
  private final Shape output;
  private final List<LayerDef> layers;

  private NetworkDef(Graph graph) {
    this.graph = graph;
    this.input = Shape.of(graph.input());
    this.output = Shape.of(graph.output());
    this.layers = view(graph);
  }

  /**
   * The network whose nodes are {@code rows}, one per node, as {@link Graph#rows()} writes them:
   * {@code "conv1 Conv2d 64 k=7x7 s=2x2 p=3,3,3,3 d=1x1 g=1 nobias -> [64, 112, 112]"}.
   *
   * @throws IllegalArgumentException naming the row, if one does not parse or does not fit
   */
  public static NetworkDef table(String name, int[] input, String... rows) {
    return new NetworkDef(Graph.parse(name, input, rows));
  }

  /** The network {@code graph} describes. */
  public static NetworkDef of(Graph graph) {
    return new NetworkDef(Objects.requireNonNull(graph, "graph"));
  }

  /** Starts a chain for the spec {@code name} whose samples have shape {@code input}. */
  public static Builder builder(String name, int... input) {
    return new Builder(name, new Shape(input));
  }

  /** The graph: nodes, their inputs and output shapes. */
  public Graph graph() {
    return graph;
  }

  /** The spec's simple name, e.g. {@code AlexNet}. */
  public String name() {
    return graph.name();
  }

  /** The shape of one input sample. */
  public Shape input() {
    return input;
  }

  /** The shape of one output sample. */
  public Shape output() {
    return output;
  }

  /** The nodes in forward order, one record per kind (see {@link LayerDef}). */
  public List<LayerDef> layers() {
    return layers;
  }

  /** The table rows that {@link #table} reads back. */
  @Override
  public String toString() {
    return graph.name() + " " + graph.input() + "\n" + String.join("\n", graph.rows());
  }

  private static List<LayerDef> view(Graph graph) {
    List<LayerDef> layers = new ArrayList<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      String name = node.path();
      Shape in = Shape.of(graph.inputShapes(i).get(0));
      Shape out = Shape.of(node.out());
      LayerDef layer = node.kind().accept(new LayerView(name, in, out));
      layers.add(layer);
    }
    return List.copyOf(layers);
  }

  /** A node as its {@link LayerDef} record. */
  private record LayerView(String name, Shape in, Shape out)
      implements LayerKind.Visitor<LayerDef> {
    @Override
    public LayerDef conv2d(dev.stride.graph.Conv2d c) {
      return new LayerDef.Conv2d(
          name,
          in,
          out,
          c.kernelH(),
          c.kernelW(),
          c.strideH(),
          c.strideW(),
          c.padTop(),
          c.padBottom(),
          c.padLeft(),
          c.padRight(),
          c.dilationH(),
          c.dilationW(),
          c.groups(),
          c.bias());
    }

    @Override
    public LayerDef maxPool(dev.stride.graph.MaxPool p) {
      return new LayerDef.MaxPool(
          name,
          in,
          out,
          p.kernelH(),
          p.kernelW(),
          p.strideH(),
          p.strideW(),
          p.padTop(),
          p.padBottom(),
          p.padLeft(),
          p.padRight());
    }

    @Override
    public LayerDef avgPool(dev.stride.graph.AvgPool p) {
      return new LayerDef.AvgPool(
          name,
          in,
          out,
          p.kernelH(),
          p.kernelW(),
          p.strideH(),
          p.strideW(),
          p.padTop(),
          p.padBottom(),
          p.padLeft(),
          p.padRight(),
          p.countIncludePad());
    }

    @Override
    public LayerDef globalAvgPool(dev.stride.graph.GlobalAvgPool kind) {
      return new LayerDef.GlobalAvgPool(name, in, out);
    }

    @Override
    public LayerDef batchNorm(dev.stride.graph.BatchNorm bn) {
      return new LayerDef.BatchNorm(name, in, out, bn.eps());
    }

    @Override
    public LayerDef relu(dev.stride.graph.ReLU kind) {
      return new LayerDef.ReLU(name, in, out);
    }

    @Override
    public LayerDef relu6(dev.stride.graph.ReLU6 kind) {
      return new LayerDef.ReLU6(name, in, out);
    }

    @Override
    public LayerDef sigmoid(dev.stride.graph.Sigmoid kind) {
      return new LayerDef.Sigmoid(name, in, out);
    }

    @Override
    public LayerDef tanh(dev.stride.graph.Tanh kind) {
      return new LayerDef.Tanh(name, in, out);
    }

    @Override
    public LayerDef softmax(dev.stride.graph.Softmax kind) {
      return new LayerDef.Softmax(name, in, out);
    }

    @Override
    public LayerDef flatten(dev.stride.graph.Flatten kind) {
      return new LayerDef.Flatten(name, in, out);
    }

    @Override
    public LayerDef linear(dev.stride.graph.Linear l) {
      return new LayerDef.Linear(name, in, out, l.bias());
    }

    @Override
    public LayerDef dropout(dev.stride.graph.Dropout d) {
      return new LayerDef.Dropout(name, in, out, d.p());
    }

    @Override
    public LayerDef add(dev.stride.graph.Add kind) {
      return new LayerDef.Add(name, in, out);
    }

    @Override
    public LayerDef concat(dev.stride.graph.Concat kind) {
      return new LayerDef.Concat(name, in, out);
    }
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] kernel(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] stride(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] dilation(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {top, bottom, left, right}}, for readable builder calls. */
  public static int[] padding(int top, int bottom, int left, int right) {
    return new int[] {top, bottom, left, right};
  }

  /**
   * Appends layers, each taking the previous layer's output as its input; {@link #build} checks the
   * chain.
   */
  public static final class Builder {
    private final String name;
    private final Shape input;
    private final List<Node> nodes = new ArrayList<>();
    private Shape current;

    private Builder(String name, Shape input) {
      this.name = name;
      this.input = input;
      this.current = input;
    }

    private Builder add(String name, LayerKind kind, Shape out) {
      nodes.add(new Node(name, kind, List.of(nodes.size() - 1), out.toGraph()));
      current = out;
      return this;
    }

    private Shape spatialInput(String layer) {
      if (current.isFlat()) {
        throw new IllegalArgumentException(layer + " needs a (C, H, W) input, not " + current);
      }
      return current;
    }

    private Shape flatInput(String layer) {
      if (!current.isFlat()) {
        throw new IllegalArgumentException(layer + " needs a flat (F) input, not " + current);
      }
      return current;
    }

    /** A convolution to {@code (outChannels, outH, outW)}. */
    public Builder conv2d(
        String name,
        int outChannels,
        int outH,
        int outW,
        int[] kernel,
        int[] stride,
        int[] padding,
        int[] dilation,
        int groups,
        boolean bias) {
      spatialInput(name);
      return add(
          name,
          new dev.stride.graph.Conv2d(
              outChannels,
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3],
              dilation[0],
              dilation[1],
              groups,
              bias,
              false),
          new Shape(outChannels, outH, outW));
    }

    /** Max pooling to {@code (C, outH, outW)}; ceil mode if that is what gives this size. */
    public Builder maxPool(
        String name, int outH, int outW, int[] kernel, int[] stride, int[] padding) {
      Shape in = spatialInput(name);
      boolean ceil = ceilMode(in, outH, outW, kernel, stride, padding);
      return add(
          name,
          new dev.stride.graph.MaxPool(
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3],
              ceil),
          new Shape(in.channels(), outH, outW));
    }

    /** Average pooling to {@code (C, outH, outW)}; ceil mode if that is what gives this size. */
    public Builder avgPool(
        String name,
        int outH,
        int outW,
        int[] kernel,
        int[] stride,
        int[] padding,
        boolean countIncludePad) {
      Shape in = spatialInput(name);
      boolean ceil = ceilMode(in, outH, outW, kernel, stride, padding);
      return add(
          name,
          new dev.stride.graph.AvgPool(
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3],
              ceil,
              countIncludePad),
          new Shape(in.channels(), outH, outW));
    }

    /** Whether {@code outH x outW} is the ceil-mode size and not the floor-mode one. */
    private static boolean ceilMode(
        Shape in, int outH, int outW, int[] kernel, int[] stride, int[] padding) {
      long floorH =
          ShapeArithmetic.poolOutput(
              in.height(), kernel[0], stride[0], padding[0], padding[1], false);
      long floorW =
          ShapeArithmetic.poolOutput(
              in.width(), kernel[1], stride[1], padding[2], padding[3], false);
      long ceilH =
          ShapeArithmetic.poolOutput(
              in.height(), kernel[0], stride[0], padding[0], padding[1], true);
      long ceilW =
          ShapeArithmetic.poolOutput(
              in.width(), kernel[1], stride[1], padding[2], padding[3], true);
      return (floorH != outH || floorW != outW) && ceilH == outH && ceilW == outW;
    }

    /** Averages each channel to {@code (C, 1, 1)}. */
    public Builder globalAvgPool(String name) {
      Shape in = spatialInput(name);
      return add(name, new dev.stride.graph.GlobalAvgPool(), new Shape(in.channels(), 1, 1));
    }

    /** Eval-mode batch norm; the shape is unchanged. */
    public Builder batchNorm(String name, double eps) {
      return add(name, new dev.stride.graph.BatchNorm(eps), current);
    }

    /** ReLU; the shape is unchanged. */
    public Builder relu(String name) {
      return add(name, new dev.stride.graph.ReLU(), current);
    }

    /** ReLU6, {@code min(max(x, 0), 6)}; the shape is unchanged. */
    public Builder relu6(String name) {
      return add(name, new dev.stride.graph.ReLU6(), current);
    }

    /** Sigmoid; the shape is unchanged. */
    public Builder sigmoid(String name) {
      return add(name, new dev.stride.graph.Sigmoid(), current);
    }

    /** Tanh; the shape is unchanged. */
    public Builder tanh(String name) {
      return add(name, new dev.stride.graph.Tanh(), current);
    }

    /** Softmax over the features of a flat input. */
    public Builder softmax(String name) {
      Shape in = flatInput(name);
      return add(name, new dev.stride.graph.Softmax(), in);
    }

    /** Flattens to {@code (C*H*W)}. */
    public Builder flatten(String name) {
      return add(name, new dev.stride.graph.Flatten(), new Shape(current.size()));
    }

    /** A fully connected layer to {@code (outFeatures)}. */
    public Builder linear(String name, int outFeatures, boolean bias) {
      flatInput(name);
      return add(name, new dev.stride.graph.Linear(outFeatures, bias), new Shape(outFeatures));
    }

    /** Dropout with drop probability {@code p}: the identity at inference. */
    public Builder dropout(String name, double p) {
      return add(name, new dev.stride.graph.Dropout(p), current);
    }

    /**
     * The finished chain.
     *
     * @throws IllegalArgumentException naming the layer, if an output size is not what its kind
     *     computes from its input
     */
    public NetworkDef build() {
      return new NetworkDef(new Graph(name, input.toGraph(), nodes));
    }
  }
}
