package dev.stride.runtime.engine;

import dev.stride.graph.Add;
import dev.stride.graph.AvgPool;
import dev.stride.graph.BatchNorm;
import dev.stride.graph.Concat;
import dev.stride.graph.Conv2d;
import dev.stride.graph.Dropout;
import dev.stride.graph.Flatten;
import dev.stride.graph.GlobalAvgPool;
import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Linear;
import dev.stride.graph.MaxPool;
import dev.stride.graph.Node;
import dev.stride.graph.ReLU;
import dev.stride.graph.ReLU6;
import dev.stride.graph.Shape;
import dev.stride.graph.Sigmoid;
import dev.stride.graph.Softmax;
import dev.stride.graph.Tanh;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Pool2dGeometry;
import dev.stride.runtime.kernel.PreparedLayer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Rewrites a graph into the steps of a {@link Plan}, in node order:
 *
 * <ul>
 *   <li>a convolution or linear layer takes in a BatchNorm that is its only reader (past Dropout)
 *       by folding it into its weights, then an activation (past Dropout and Flatten) into its
 *       output pass, or else an {@code Add} whose other operand is already computed (a residual
 *       connection) and an activation after that Add;
 *   <li>such a layer whose only reader is a {@code Concat} writes its channel slice of the Concat's
 *       output directly; other Concat operands are copied in;
 *   <li>Flatten and Dropout move no data; BatchNorm and activations that are not fused run in place
 *       when nothing else reads their input, else on a copy;
 *   <li>activations are then kept in buffers assigned by liveness: a value holds its buffer from
 *       the step that first writes it to the step that last reads it (a shortcut until its Add).
 * </ul>
 *
 * Without {@code fuse} only the last two apply: one step per node, the plain reference plan.
 */
final class Planner {
  private final Graph graph;
  private final List<Node> nodes;
  private final Function<String, float[]> weights;
  private final BiConsumer<String, PreparedLayer> prepared;
  private final boolean handedOver;
  private final Kernels kernels;
  private final boolean fuse;
  private final List<List<Integer>> consumers = new ArrayList<>();
  private final List<Integer> inputConsumers;
  private final Value[] values;
  private final boolean[] absorbed;
  private final Value input;
  private final Map<Integer, Value> concatValues = new HashMap<>();
  private final Map<Integer, boolean[]> writtenSlices = new HashMap<>();
  private final List<Step> steps = new ArrayList<>();

  private Planner(
      Graph graph,
      Function<String, float[]> weights,
      BiConsumer<String, PreparedLayer> prepared,
      Kernels kernels,
      boolean fuse) {
    this.graph = graph;
    this.nodes = graph.nodes();
    this.weights = weights;
    this.prepared = prepared == null ? (key, layer) -> {} : prepared;
    this.handedOver = prepared != null;
    this.kernels = kernels;
    this.fuse = fuse;
    for (int i = 0; i < nodes.size(); i++) {
      consumers.add(List.of());
    }
    List<List<Integer>> lists = new ArrayList<>();
    List<Integer> fromInput = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      lists.add(new ArrayList<>());
    }
    for (int j = 0; j < nodes.size(); j++) {
      for (int in : nodes.get(j).inputs()) {
        (in == Graph.INPUT ? fromInput : lists.get(in)).add(j);
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      consumers.set(i, List.copyOf(lists.get(i)));
    }
    this.inputConsumers = List.copyOf(fromInput);
    this.values = new Value[nodes.size()];
    this.absorbed = new boolean[nodes.size()];
    this.input = new Value(size(graph.input()));
    this.input.storage = Value.INPUT;
  }

  /**
   * The plan for {@code graph} on {@code kernels}, reading each tensor by its key ({@code
   * conv1.weight}; null for an absent bias) in PyTorch's layout; the arrays are not modified.
   */
  static Plan plan(
      Graph graph,
      Function<String, float[]> weights,
      BiConsumer<String, PreparedLayer> prepared,
      Kernels kernels,
      boolean fuse) {
    return new Planner(graph, weights, prepared, kernels, fuse).build();
  }

  private Plan build() {
    for (int i = 0; i < nodes.size(); i++) {
      if (!absorbed[i]) {
        planNode(i);
      }
    }
    Value last = nodes.isEmpty() ? input : values[nodes.size() - 1];
    if (last == input) { // nothing but Flatten and Dropout: the output is a copy of the input
      Value out = new Value(input.size);
      steps.add(copy("copy", input, out));
      last = out;
    }
    last.storage = Value.OUTPUT;
    int[] bufferSizes = assignBuffers();
    return new Plan(graph, List.copyOf(steps), bufferSizes);
  }

  // ---- one node ----

  private void planNode(int i) {
    Node node = nodes.get(i);
    LayerKind kind = node.kind();
    if (kind instanceof Conv2d || kind instanceof Linear) {
      planLayer(i);
    } else if (kind instanceof Flatten || kind instanceof Dropout) {
      values[i] = valueOf(node.inputs().get(0));
    } else if (kind instanceof MaxPool p) {
      Pool2dGeometry g =
          poolGeometry(
              i,
              p.kernelH(),
              p.kernelW(),
              p.strideH(),
              p.strideW(),
              p.padTop(),
              p.padBottom(),
              p.padLeft(),
              p.padRight());
      outOfPlace(i, (src, n, dst) -> kernels.maxPool2d(src, n, g, dst));
    } else if (kind instanceof AvgPool p) {
      Pool2dGeometry g =
          poolGeometry(
              i,
              p.kernelH(),
              p.kernelW(),
              p.strideH(),
              p.strideW(),
              p.padTop(),
              p.padBottom(),
              p.padLeft(),
              p.padRight());
      boolean includePad = p.countIncludePad();
      outOfPlace(i, (src, n, dst) -> kernels.avgPool2d(src, n, g, includePad, dst));
    } else if (kind instanceof GlobalAvgPool) {
      Shape in = inShape(i);
      int channels = in.channels();
      int spatial = in.height() * in.width();
      outOfPlace(i, (src, n, dst) -> kernels.globalAvgPool(src, n, channels, spatial, dst));
    } else if (kind instanceof BatchNorm bn) {
      Shape in = inShape(i);
      int channels = in.channels();
      int spatial = in.height() * in.width();
      String p = node.path();
      float[] w = weights.apply(p + ".weight");
      float[] b = weights.apply(p + ".bias");
      float[] mean = weights.apply(p + ".running_mean");
      float[] var = weights.apply(p + ".running_var");
      double eps = bn.eps();
      inPlace(i, (x, n) -> kernels.batchNorm(x, n, channels, spatial, mean, var, w, b, eps));
    } else if (kind instanceof Softmax) {
      int features = size(inShape(i));
      inPlace(i, (x, n) -> kernels.softmax(x, n, features));
    } else if (activation(kind) != null) {
      Activation act = activation(kind);
      int size = size(inShape(i));
      inPlace(i, (x, n) -> act.apply(kernels, x, n * size));
    } else if (kind instanceof Add) {
      planAdd(i);
    } else if (kind instanceof Concat) {
      planConcat(i);
    } else {
      throw new AssertionError("no plan for " + kind);
    }
  }

  /** An operation from one array to another. */
  @FunctionalInterface
  private interface Unary {
    void run(float[] src, int n, float[] dst);
  }

  /** An operation on one array in place. */
  @FunctionalInterface
  private interface InPlace {
    void run(float[] x, int n);
  }

  private void outOfPlace(int i, Unary op) {
    Value in = valueOf(nodes.get(i).inputs().get(0));
    Value out = new Value(size(nodes.get(i).out()));
    values[i] = out;
    steps.add(
        new Step(nodes.get(i).path(), List.of(in), List.of(out)) {
          @Override
          void run(Frame f, int n) {
            op.run(f.get(in), n, f.get(out));
          }
        });
  }

  /**
   * Runs {@code op} on the input's value itself when this node is its only reader, else on a copy,
   * so that no other reader sees it changed (and the caller's input is never written).
   */
  private void inPlace(int i, InPlace op) {
    int from = nodes.get(i).inputs().get(0);
    Value x = valueOf(from);
    String name = nodes.get(i).path();
    if (x == input || readers(base(from)) != 1) {
      Value copy = new Value(x.size);
      steps.add(copy(name + ":copy", x, copy));
      x = copy;
    }
    Value target = x;
    values[i] = target;
    steps.add(
        new Step(name, List.of(target), List.of(target)) {
          @Override
          void run(Frame f, int n) {
            op.run(f.get(target), n);
          }
        });
  }

  private Step copy(String name, Value from, Value to) {
    return new Step(name, List.of(from), List.of(to)) {
      @Override
      void run(Frame f, int n) {
        System.arraycopy(f.get(from), 0, f.get(to), 0, n * from.size);
      }
    };
  }

  private void planAdd(int i) {
    Node node = nodes.get(i);
    Value a = valueOf(node.inputs().get(0));
    Value b = valueOf(node.inputs().get(1));
    Value out = new Value(size(node.out()));
    String name = node.path();
    Activation act = Activation.NONE;
    int last = i;
    if (fuse) {
      List<Integer> path = follow(i, true);
      if (path != null && activation(kindOf(path)) != null) {
        act = activation(kindOf(path));
        name += "+" + nodes.get(end(path)).path();
        last = end(path);
        absorb(path, out);
      }
    }
    values[i] = out;
    values[last] = out;
    Activation activation = act;
    int size = out.size;
    steps.add(
        new Step(name, List.of(a, b), List.of(out)) {
          @Override
          void run(Frame f, int n) {
            kernels.add(f.get(a), f.get(b), f.get(out), n * size, activation);
          }
        });
  }

  private void planConcat(int c) {
    Node node = nodes.get(c);
    Value out = concatValue(c);
    values[c] = out;
    boolean[] written = writtenSlices.getOrDefault(c, new boolean[node.inputs().size()]);
    int total = node.out().channels();
    int spatial = node.out().height() * node.out().width();
    int offset = 0;
    for (int k = 0; k < node.inputs().size(); k++) {
      int operand = node.inputs().get(k);
      int channels = graph.shape(operand).channels();
      if (!written[k]) {
        Value src = valueOf(operand);
        int at = offset;
        steps.add(
            new Step(node.path() + "<-" + name(operand), List.of(src), List.of(out)) {
              @Override
              void run(Frame f, int n) {
                kernels.copyChannels(f.get(src), n, channels, spatial, f.get(out), at, total);
              }
            });
      }
      offset += channels;
    }
  }

  private Value concatValue(int c) {
    return concatValues.computeIfAbsent(c, k -> new Value(size(nodes.get(k).out())));
  }

  // ---- convolutions and linear layers, and what fuses into them ----

  private void planLayer(int i) {
    Node node = nodes.get(i);
    String name = node.path();
    float[] weight = weights.apply(name + ".weight");
    float[] bias = weights.apply(name + ".bias");
    Activation act = Activation.NONE;
    Value residual = null;
    int cur = i;
    List<List<Integer>> taken = new ArrayList<>();
    float[] given = weight;
    if (fuse) {
      List<Integer> path = follow(cur, false);
      if (path != null && kindOf(path) instanceof BatchNorm bn) {
        float[][] folded = fold(weight, bias, nodes.get(end(path)).path(), bn.eps());
        weight = folded[0];
        bias = folded[1];
        cur = take(path, taken);
      }
      path = follow(cur, true);
      if (path != null && activation(kindOf(path)) != null) {
        act = activation(kindOf(path));
        cur = take(path, taken);
      }
      path = follow(cur, false);
      if (act == Activation.NONE && path != null && kindOf(path) instanceof Add) {
        Node add = nodes.get(end(path));
        int mine = path.size() > 1 ? path.get(path.size() - 2) : cur;
        int other = add.inputs().get(0) == mine ? add.inputs().get(1) : add.inputs().get(0);
        // The shortcut must be complete before this layer runs: computed by an earlier step.
        if (other == Graph.INPUT || values[other] != null) {
          residual = valueOf(other);
          cur = take(path, taken);
          path = follow(cur, true);
          if (path != null && activation(kindOf(path)) != null) {
            act = activation(kindOf(path));
            cur = take(path, taken);
          }
        }
      }
    }
    Value out;
    int offset = 0;
    int outChannels = node.out().channels();
    List<Integer> toConcat = fuse ? follow(cur, false) : null;
    if (toConcat != null
        && kindOf(toConcat) instanceof Concat
        && nodes.get(end(toConcat)).out().rank() == nodes.get(cur).out().rank()) {
      int c = end(toConcat);
      Node concat = nodes.get(c);
      int mine = toConcat.size() > 1 ? toConcat.get(toConcat.size() - 2) : cur;
      int k = concat.inputs().indexOf(mine);
      for (int j = 0; j < k; j++) {
        offset += graph.shape(concat.inputs().get(j)).channels();
      }
      outChannels = concat.out().channels();
      out = concatValue(c);
      writtenSlices.computeIfAbsent(c, x -> new boolean[concat.inputs().size()])[k] = true;
      for (int j : toConcat.subList(0, toConcat.size() - 1)) {
        absorbed[j] = true;
        values[j] = out;
      }
    } else {
      out = new Value(size(nodes.get(cur).out()));
    }
    values[i] = out;
    StringBuilder stepName = new StringBuilder(name);
    for (List<Integer> p : taken) {
      absorb(p, out);
      stepName.append('+').append(nodes.get(end(p)).path());
    }
    boolean plain = offset == 0 && outChannels == node.out().channels() && residual == null;
    PreparedLayer layer = prepare(i, weight, bias, act, !plain);
    if (weight == given) {
      prepared.accept(name + ".weight", layer);
    }
    Value in = valueOf(node.inputs().get(0));
    Value shortcut = residual;
    int at = offset;
    int total = outChannels;
    List<Value> reads = residual == null ? List.of(in) : List.of(in, residual);
    steps.add(
        plain
            ? new Step(stepName.toString(), reads, List.of(out)) {
              @Override
              void run(Frame f, int n) {
                layer.run(f.get(in), n, f.get(out));
              }
            }
            : new Step(stepName.toString(), reads, List.of(out)) {
              @Override
              void run(Frame f, int n) {
                layer.run(
                    f.get(in), n, f.get(out), at, total, shortcut == null ? null : f.get(shortcut));
              }
            });
  }

  private int take(List<Integer> path, List<List<Integer>> taken) {
    taken.add(path);
    return end(path);
  }

  private void absorb(List<Integer> path, Value out) {
    for (int j : path) {
      absorbed[j] = true;
      values[j] = out;
    }
  }

  /**
   * The layer prepared by the kernels; with {@code slice} (a Concat slice or a residual), or with
   * an activation the layer might not know, a layer from a {@link Kernels} implementation that does
   * not override the slice-and-residual {@code run} runs plain and is wrapped by {@link
   * PreparedLayer#unfused}.
   */
  private PreparedLayer prepare(
      int i, float[] weight, float[] bias, Activation act, boolean slice) {
    PreparedLayer layer = prepareRaw(i, weight, bias, act);
    if (slice && !writesSlices(layer)) {
      Shape out = nodes.get(i).out();
      float[] w = layer.rebuildsWeight() ? layer.weight() : weight; // it may hold the array now
      layer =
          PreparedLayer.unfused(
              kernels,
              out.channels(),
              out.height() * out.width(),
              act,
              prepareRaw(i, w, bias, Activation.NONE));
    }
    return layer;
  }

  private PreparedLayer prepareRaw(int i, float[] weight, float[] bias, Activation act) {
    Node node = nodes.get(i);
    Shape in = inShape(i);
    Shape out = node.out();
    if (node.kind() instanceof Conv2d c) {
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
      return kernels.prepareConv2d(g, weight, bias, act);
    }
    // Weights told to a listener are the plan's to reuse; see Plan.of.
    return handedOver
        ? kernels.prepareLinearHandedOver(size(in), size(out), weight, bias, act)
        : kernels.prepareLinear(size(in), size(out), weight, bias, act);
  }

  private static boolean writesSlices(PreparedLayer layer) {
    try {
      return layer
              .getClass()
              .getMethod(
                  "run",
                  float[].class,
                  int.class,
                  float[].class,
                  int.class,
                  int.class,
                  float[].class)
              .getDeclaringClass()
          != PreparedLayer.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /**
   * Weights and bias with the eval-mode BatchNorm {@code bn} folded in, per output channel {@code
   * c}: {@code s = gamma / sqrt(var + eps)}, {@code w' = w * s}, {@code b' = (b - mean) * s + beta}
   * (b = 0 without a bias), in double. New arrays; the loaded tensors are untouched.
   */
  private float[][] fold(float[] weight, float[] bias, String bn, double eps) {
    float[] gamma = weights.apply(bn + ".weight");
    float[] beta = weights.apply(bn + ".bias");
    float[] mean = weights.apply(bn + ".running_mean");
    float[] var = weights.apply(bn + ".running_var");
    int channels = gamma.length;
    int perChannel = weight.length / channels; // (OC, C/g, KH, KW) or (OF, F): rows per channel
    float[] w = new float[weight.length];
    float[] b = new float[channels];
    for (int c = 0; c < channels; c++) {
      double scale = gamma[c] / Math.sqrt(var[c] + eps);
      for (int k = c * perChannel, end = k + perChannel; k < end; k++) {
        w[k] = (float) (weight[k] * scale);
      }
      double b0 = bias == null ? 0.0 : bias[c];
      b[c] = (float) ((b0 - mean[c]) * scale + beta[c]);
    }
    return new float[][] {w, b};
  }

  // ---- walking the graph ----

  /**
   * The nodes from {@code i}'s only reader on, past Dropout (and Flatten if asked), to the first
   * other node, which is the last element; null if some node on the way has other readers or none.
   */
  private List<Integer> follow(int i, boolean flatten) {
    List<Integer> path = new ArrayList<>();
    int cur = i;
    while (true) {
      List<Integer> readers = consumers.get(cur);
      if (readers.size() != 1) {
        return null;
      }
      int j = readers.get(0);
      path.add(j);
      LayerKind kind = nodes.get(j).kind();
      if (!(kind instanceof Dropout || (flatten && kind instanceof Flatten))) {
        return path;
      }
      cur = j;
    }
  }

  private LayerKind kindOf(List<Integer> path) {
    return nodes.get(end(path)).kind();
  }

  private static int end(List<Integer> path) {
    return path.get(path.size() - 1);
  }

  /** The node whose value {@code i} is, looking through Flatten and Dropout. */
  private int base(int i) {
    int cur = i;
    while (cur != Graph.INPUT
        && (nodes.get(cur).kind() instanceof Flatten || nodes.get(cur).kind() instanceof Dropout)) {
      cur = nodes.get(cur).inputs().get(0);
    }
    return cur;
  }

  /**
   * How many inputs of other nodes read {@code i}'s value, counting through Flatten and Dropout.
   */
  private int readers(int i) {
    int count = 0;
    for (int j : i == Graph.INPUT ? inputConsumers : consumers.get(i)) {
      LayerKind kind = nodes.get(j).kind();
      count += kind instanceof Flatten || kind instanceof Dropout ? readers(j) : 1;
    }
    return count;
  }

  private Value valueOf(int i) {
    Value v = i == Graph.INPUT ? input : values[i];
    if (v == null) {
      throw new AssertionError("node " + i + " is used before it is planned");
    }
    return v;
  }

  private String name(int i) {
    return i == Graph.INPUT ? Graph.INPUT_NAME : nodes.get(i).path();
  }

  private Shape inShape(int i) {
    return graph.shape(nodes.get(i).inputs().get(0));
  }

  private Pool2dGeometry poolGeometry(
      int i, int kh, int kw, int sh, int sw, int pt, int pb, int pl, int pr) {
    Shape in = inShape(i);
    Shape out = nodes.get(i).out();
    return new Pool2dGeometry(
        in.channels(),
        in.height(),
        in.width(),
        out.height(),
        out.width(),
        kh,
        kw,
        sh,
        sw,
        pt,
        pb,
        pl,
        pr);
  }

  private static Activation activation(LayerKind kind) {
    if (kind instanceof ReLU) {
      return Activation.RELU;
    } else if (kind instanceof ReLU6) {
      return Activation.RELU6;
    } else if (kind instanceof Sigmoid) {
      return Activation.SIGMOID;
    } else if (kind instanceof Tanh) {
      return Activation.TANH;
    }
    return null;
  }

  static int size(Shape shape) {
    return Math.toIntExact(shape.size());
  }

  // ---- buffers by liveness ----

  /**
   * Gives every value without a storage yet a buffer, reused once the value's last reader has run;
   * returns the floats per sample of each buffer.
   */
  private int[] assignBuffers() {
    for (int s = 0; s < steps.size(); s++) {
      for (Value v : steps.get(s).reads) {
        touch(v, s);
      }
      for (Value v : steps.get(s).writes) {
        touch(v, s);
      }
    }
    List<Integer> sizes = new ArrayList<>();
    List<Value> holders = new ArrayList<>(); // the value in each buffer, or null when free
    for (int s = 0; s < steps.size(); s++) {
      for (int b = 0; b < holders.size(); b++) {
        if (holders.get(b) != null && holders.get(b).last < s) {
          holders.set(b, null);
        }
      }
      for (Value v : steps.get(s).writes) {
        if (v.storage != Integer.MIN_VALUE) {
          continue;
        }
        int best = -1;
        for (int b = 0; b < holders.size(); b++) {
          if (holders.get(b) == null
              && (best < 0 || fitsBetter(sizes.get(b), sizes.get(best), v.size))) {
            best = b;
          }
        }
        if (best < 0) {
          best = holders.size();
          holders.add(null);
          sizes.add(0);
        }
        holders.set(best, v);
        sizes.set(best, Math.max(sizes.get(best), v.size));
        v.storage = best;
      }
    }
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Whether a free buffer of {@code a} floats suits a value of {@code need} better than {@code b}.
   */
  private static boolean fitsBetter(int a, int b, int need) {
    boolean aFits = a >= need;
    boolean bFits = b >= need;
    if (aFits != bFits) {
      return aFits;
    }
    return aFits ? a < b : a > b; // the smallest that fits, else the largest to grow
  }

  private static void touch(Value v, int step) {
    if (v.first < 0) {
      v.first = step;
    }
    v.last = step;
  }
}
