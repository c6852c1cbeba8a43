package dev.stride.benchmarks.onnx;

import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Node;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link NetworkDef} and its weights (PyTorch names and layouts, as {@code
 * CompiledNetwork.tensors()} gives them) as an ONNX model, opset 13, so ONNX Runtime can run the
 * very same network with the very same weights. Benchmark-only: no Python, no protobuf library,
 * just the handful of ONNX messages a CNN needs.
 *
 * <p>The graph's input is {@code input (N, C, H, W)} with a symbolic batch {@code N}; its output is
 * {@code output (N, ...)}. Weights are initializers named as in PyTorch ({@code conv1.weight}).
 * Dropout is the identity at inference and is left out.
 */
public final class OnnxExport {
  /** The operator set the nodes follow. */
  public static final int OPSET = 13;

  /** The IR version that goes with opset 13. */
  private static final int IR_VERSION = 7;

  private static final int FLOAT = 1; // TensorProto.DataType.FLOAT

  // AttributeProto.AttributeType
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;
  private static final int ATTR_INTS = 7;

  private OnnxExport() {}

  /** Writes the model to {@code path}. */
  public static void write(Path path, NetworkDef network, Map<String, Tensor> tensors)
      throws IOException {
    Files.write(path, export(network, tensors));
  }

  /** The serialized {@code ModelProto}: that of the network's graph. */
  public static byte[] export(NetworkDef network, Map<String, Tensor> tensors) {
    return export(network.graph(), tensors);
  }

  /**
   * The serialized {@code ModelProto} of a network graph (residual and branching networks): each
   * node reads its inputs by name, so an {@link dev.stride.graph.Add} or {@link
   * dev.stride.graph.Concat} becomes ONNX's {@code Add} or {@code Concat} (axis 1), and ReLU6
   * becomes {@code Clip(0, 6)}. Weights are looked up as {@code <path>.weight} etc.
   */
  public static byte[] export(Graph network, Map<String, Tensor> tensors) {
    Proto graph = new Proto();
    graph.string(2, network.name());
    List<Node> nodes = network.nodes();
    String[] names = new String[nodes.size()];
    boolean[] clipBounds = {false};
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      List<String> inputs = new ArrayList<>();
      for (int in : n.inputs()) {
        inputs.add(in == Graph.INPUT ? "input" : names[in]);
      }
      // Node outputs are "/layer2.0.conv1" etc., so no path can clash with "input" or "output".
      String output = "/" + n.path();
      List<dev.stride.graph.Shape> shapes = network.inputShapes(i);
      Proto node =
          n.kind().accept(new NodeWriter(n, inputs, shapes, output, tensors, graph, clipBounds));
      if (node == null) { // dropout: its consumers read its input
        names[i] = inputs.get(0);
      } else {
        graph.message(1, node);
        names[i] = output;
      }
    }
    graph.message(1, node("Identity", "output", names[nodes.size() - 1]));
    graph.message(11, valueInfo("input", network.input().dims()));
    graph.message(12, valueInfo("output", network.output().dims()));

    Proto model = new Proto();
    model.varint(1, IR_VERSION);
    model.string(2, "stride-benchmarks");
    model.string(3, "0.1");
    model.message(7, graph);
    model.message(8, new Proto().string(1, "").varint(2, OPSET));
    return model.toByteArray();
  }

  /** Writes the graph's model to {@code path}. */
  public static void write(Path path, Graph network, Map<String, Tensor> tensors)
      throws IOException {
    Files.write(path, export(network, tensors));
  }

  /**
   * The ONNX node of one graph node, one method per layer kind, adding its weights to {@code
   * graph}; null for dropout, whose readers read its input.
   */
  private record NodeWriter(
      Node n,
      List<String> inputs,
      List<dev.stride.graph.Shape> inShapes,
      String output,
      Map<String, Tensor> tensors,
      Proto graph,
      boolean[] clipBounds)
      implements LayerKind.Visitor<Proto> {
    private String input() {
      return inputs.get(0);
    }

    private String weight(String suffix) {
      return initializer(graph, tensors, n.path() + "." + suffix);
    }

    @Override
    public Proto conv2d(dev.stride.graph.Conv2d c) {
      String weight = weight("weight");
      Proto node =
          c.bias()
              ? node("Conv", output, input(), weight, weight("bias"))
              : node("Conv", output, input(), weight);
      ints(node, "kernel_shape", c.kernelH(), c.kernelW());
      ints(node, "strides", c.strideH(), c.strideW());
      ints(node, "pads", c.padTop(), c.padLeft(), c.padBottom(), c.padRight());
      ints(node, "dilations", c.dilationH(), c.dilationW());
      integer(node, "group", c.groups());
      return node;
    }

    @Override
    public Proto maxPool(dev.stride.graph.MaxPool p) {
      Proto node = node("MaxPool", output, input());
      pool(
          node,
          dims(inShapes.get(0), n.out()),
          new int[] {p.kernelH(), p.kernelW(), p.strideH(), p.strideW()},
          new int[] {p.padTop(), p.padBottom(), p.padLeft(), p.padRight()},
          true);
      return node;
    }

    @Override
    public Proto avgPool(dev.stride.graph.AvgPool p) {
      return OnnxExport.avgPool(
          graph,
          input(),
          output,
          dims(inShapes.get(0), n.out()),
          new int[] {p.kernelH(), p.kernelW(), p.strideH(), p.strideW()},
          new int[] {p.padTop(), p.padBottom(), p.padLeft(), p.padRight()},
          p.countIncludePad());
    }

    @Override
    public Proto globalAvgPool(dev.stride.graph.GlobalAvgPool kind) {
      return node("GlobalAveragePool", output, input());
    }

    @Override
    public Proto batchNorm(dev.stride.graph.BatchNorm b) {
      return OnnxExport.batchNorm(graph, tensors, n.path(), input(), output, b.eps());
    }

    @Override
    public Proto relu(dev.stride.graph.ReLU kind) {
      return node("Relu", output, input());
    }

    @Override
    public Proto relu6(dev.stride.graph.ReLU6 kind) {
      // Opset 11+: Clip's bounds are inputs, shared scalars.
      if (!clipBounds[0]) {
        floatInitializer(graph, "/relu6/min", new Tensor(new int[0], new float[] {0f}));
        floatInitializer(graph, "/relu6/max", new Tensor(new int[0], new float[] {6f}));
        clipBounds[0] = true;
      }
      return node("Clip", output, input(), "/relu6/min", "/relu6/max");
    }

    @Override
    public Proto sigmoid(dev.stride.graph.Sigmoid kind) {
      return node("Sigmoid", output, input());
    }

    @Override
    public Proto tanh(dev.stride.graph.Tanh kind) {
      return node("Tanh", output, input());
    }

    @Override
    public Proto softmax(dev.stride.graph.Softmax kind) {
      Proto node = node("Softmax", output, input());
      integer(node, "axis", 1);
      return node;
    }

    @Override
    public Proto flatten(dev.stride.graph.Flatten kind) {
      Proto node = node("Flatten", output, input());
      integer(node, "axis", 1);
      return node;
    }

    @Override
    public Proto linear(dev.stride.graph.Linear l) {
      String weight = weight("weight");
      Proto node =
          l.bias()
              ? node("Gemm", output, input(), weight, weight("bias"))
              : node("Gemm", output, input(), weight);
      integer(node, "transB", 1);
      return node;
    }

    @Override
    public Proto dropout(dev.stride.graph.Dropout kind) {
      return null;
    }

    @Override
    public Proto add(dev.stride.graph.Add kind) {
      return node("Add", output, inputs.toArray(new String[0]));
    }

    @Override
    public Proto concat(dev.stride.graph.Concat kind) {
      Proto node = node("Concat", output, inputs.toArray(new String[0]));
      integer(node, "axis", 1);
      return node;
    }
  }

  private static Proto batchNorm(
      Proto graph,
      Map<String, Tensor> tensors,
      String name,
      String input,
      String output,
      double eps) {
    Proto node =
        node(
            "BatchNormalization",
            output,
            input,
            initializer(graph, tensors, name + ".weight"),
            initializer(graph, tensors, name + ".bias"),
            initializer(graph, tensors, name + ".running_mean"),
            initializer(graph, tensors, name + ".running_var"));
    node.message(
        5, new Proto().string(1, "epsilon").varint(20, ATTR_FLOAT).fixed32(2, (float) eps));
    return node;
  }

  /**
   * Average pooling; returns the last node, adding any before it to {@code graph}.
   *
   * @param io {@code {inH, inW, outH, outW}}
   * @param k {@code {kh, kw, sh, sw}}
   * @param pads {@code {top, bottom, left, right}}
   */
  private static Proto avgPool(
      Proto graph,
      String input,
      String output,
      int[] io,
      int[] k,
      int[] pads,
      boolean countIncludePad) {
    int[] overhang = ceilOverhang(io, k, pads);
    if (countIncludePad && (overhang[0] > 0 || overhang[1] > 0)) {
      // Ceil mode counting padding: PyTorch divides by the window clipped to the padded input,
      // leaving out the ceil overhang, where ONNX Runtime counts the overhang too (and its
      // PadFusion folds a Pad node into the pooling, so explicit zeros do not help). So: average
      // over the real cells only, then rescale each position by real cells / PyTorch's divisor.
      String averaged = output + "/exclusive";
      Proto node = node("AveragePool", averaged, input);
      ints(node, "kernel_shape", k[0], k[1]);
      ints(node, "strides", k[2], k[3]);
      ints(node, "pads", pads[0], pads[2], pads[1] + overhang[0], pads[3] + overhang[1]);
      integer(node, "count_include_pad", 0);
      graph.message(1, node);
      String factor = floatInitializer(graph, output + "/divisor", divisorFactor(io, k, pads));
      return node("Mul", output, averaged, factor);
    }
    Proto node = node("AveragePool", output, input);
    pool(node, io, k, pads, !countIncludePad);
    integer(node, "count_include_pad", countIncludePad ? 1 : 0);
    return node;
  }

  /**
   * Pooling attributes. Stride's table keeps ceil mode only as the output size; the export finds it
   * again. Where padded cells cannot change the result (max pooling, or average pooling that
   * excludes padding) ceil mode becomes extra bottom/right padding, which every ONNX runtime reads
   * alike, unless that padding would reach the kernel's size (ONNX Runtime refuses it): then {@code
   * ceil_mode=1}. (Average pooling that counts padding in ceil mode is handled by its caller.)
   *
   * @param k {@code {kh, kw, sh, sw}}
   * @param pads {@code {top, bottom, left, right}}
   */
  private static void pool(Proto node, int[] io, int[] k, int[] pads, boolean padsAreNeutral) {
    int top = pads[0];
    int bottom = pads[1];
    int left = pads[2];
    int right = pads[3];
    int[] overhang = ceilOverhang(io, k, pads);
    boolean ceilMode = false;
    if (overhang[0] > 0 || overhang[1] > 0) {
      if (padsAreNeutral && bottom + overhang[0] < k[0] && right + overhang[1] < k[1]) {
        bottom += overhang[0];
        right += overhang[1];
      } else {
        ceilMode = true;
      }
    }
    ints(node, "kernel_shape", k[0], k[1]);
    ints(node, "strides", k[2], k[3]);
    ints(node, "pads", top, left, bottom, right);
    if (ceilMode) {
      integer(node, "ceil_mode", 1);
    }
  }

  /**
   * How far ceil mode's last windows reach past the padded input, {@code {rows, columns}}: zero in
   * floor mode, where every window fits.
   */
  private static int[] ceilOverhang(int[] io, int[] k, int[] pads) {
    return new int[] {
      Math.max(0, (io[2] - 1) * k[2] + k[0] - (io[0] + pads[0] + pads[1])),
      Math.max(0, (io[3] - 1) * k[3] + k[1] - (io[1] + pads[2] + pads[3]))
    };
  }

  /** {@code {inH, inW, outH, outW}} of a pooling layer. */
  private static int[] dims(dev.stride.graph.Shape in, dev.stride.graph.Shape out) {
    return new int[] {in.height(), in.width(), out.height(), out.width()};
  }

  /**
   * {@code (OH, OW)}: per output position, the number of real input cells in its window over
   * PyTorch's divisor for {@code count_include_pad} (the window clipped to the padded input).
   *
   * @param io {@code {inH, inW, outH, outW}}
   * @param k {@code {kh, kw, sh, sw}}
   * @param pads {@code {top, bottom, left, right}}
   */
  private static Tensor divisorFactor(int[] io, int[] k, int[] pads) {
    int oh = io[2];
    int ow = io[3];
    float[] factor = new float[oh * ow];
    for (int y = 0; y < oh; y++) {
      double fy = cells(y * k[2] - pads[0], k[0], io[0], pads[1]);
      for (int x = 0; x < ow; x++) {
        double fx = cells(x * k[3] - pads[2], k[1], io[1], pads[3]);
        factor[y * ow + x] = (float) (fy * fx);
      }
    }
    return new Tensor(new int[] {oh, ow}, factor);
  }

  /** Real cells over PyTorch's count for a window from {@code start} in one dimension. */
  private static double cells(int start, int k, int n, int padAfter) {
    int real = Math.min(start + k, n) - Math.max(start, 0);
    int counted = Math.min(start + k, n + padAfter) - start;
    return (double) real / counted;
  }

  private static Proto node(String opType, String output, String... inputs) {
    Proto node = new Proto();
    for (String input : inputs) {
      node.string(1, input);
    }
    node.string(2, output);
    node.string(3, output);
    node.string(4, opType);
    return node;
  }

  private static void integer(Proto node, String name, long value) {
    node.message(5, new Proto().string(1, name).varint(20, ATTR_INT).varint(3, value));
  }

  private static void ints(Proto node, String name, int... values) {
    Proto attribute = new Proto().string(1, name).varint(20, ATTR_INTS);
    for (int v : values) {
      attribute.varint(8, v); // repeated int64, unpacked as proto2 declares it
    }
    node.message(5, attribute);
  }

  /** Adds the named weight as an initializer and returns its name. */
  private static String initializer(Proto graph, Map<String, Tensor> tensors, String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor '" + name + "' among " + tensors.keySet());
    }
    return floatInitializer(graph, name, t);
  }

  /** Adds {@code t} as a float32 initializer (raw little-endian data) and returns its name. */
  private static String floatInitializer(Proto graph, String name, Tensor t) {
    Proto tensor = new Proto();
    for (int d : t.shape()) {
      tensor.varint(1, d);
    }
    tensor.varint(2, FLOAT);
    tensor.string(8, name);
    ByteBuffer raw = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(t.data());
    tensor.bytes(9, raw.array());
    graph.message(5, tensor);
    return name;
  }

  /** {@code name: float32 (N, ...shape)}, N symbolic. */
  private static Proto valueInfo(String name, int[] sample) {
    Proto shape = new Proto();
    shape.message(1, new Proto().string(2, "N"));
    for (int d : sample) {
      shape.message(1, new Proto().varint(1, d));
    }
    Proto tensorType = new Proto().varint(1, FLOAT).message(2, shape);
    return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
  }
}
