package dev.stride.runtime.engine;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.graph.Shape;
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
 *   <li>an inverted-residual block (1x1, depthwise 3x3, 1x1, each with its BatchNorm and ReLU6, and
 *       its Add) is one step when the kernels fuse it ({@link InvertedResidualBlock});
 *   <li>such a layer whose only reader is a {@code Concat} writes its channel slice of the Concat's
 *       output directly; other Concat operands are copied in;
 *   <li>Flatten and Dropout move no data; BatchNorm and activations that are not fused run in place
 *       when nothing else reads their input, else on a copy;
 *   <li>activations are then kept in buffers assigned by liveness: a value holds its buffer from
 *       the step that first writes it to the step that last reads it (a shortcut until its Add).
 * </ul>
 *
 * Without {@code fuse} only the last two apply: one step per node, the plain reference plan.
 *
 * <p>What a node becomes is its kind's {@link Op}'s decision ({@link Ops#of}); the planner walks
 * the graph, keeps the values and assigns the buffers, and knows no kind.
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
  private final Op[] ops;
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
    this.ops = new Op[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      ops[i] = Ops.of(nodes.get(i).kind());
    }
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
        ops[i].plan(this, i);
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

  // ---- what the ops build with ----

  Node node(int i) {
    return nodes.get(i);
  }

  Op op(int i) {
    return ops[i];
  }

  Kernels kernels() {
    return kernels;
  }

  /** Whether to fuse at all; false for the plain reference plan. */
  boolean fuse() {
    return fuse;
  }

  /** The tensor {@code key} ({@code conv1.weight}) in PyTorch's layout; null for an absent bias. */
  float[] weight(String key) {
    return weights.apply(key);
  }

  /**
   * Tells the caller of {@link Plan#of(Graph, Function, BiConsumer, Kernels, boolean)} that {@code
   * layer} was prepared from the tensor {@code key} unchanged, so it may hold that array from now
   * on.
   */
  void prepared(String key, PreparedLayer layer) {
    prepared.accept(key, layer);
  }

  /**
   * Whether the weight arrays are handed over: a layer may keep and reuse the array it is given.
   */
  boolean handedOver() {
    return handedOver;
  }

  /** Makes {@code v} node {@code i}'s value. */
  void define(int i, Value v) {
    values[i] = v;
  }

  /** Whether node {@code i}'s value is known, that is, computed by a step planned before. */
  boolean isDefined(int i) {
    return values[i] != null;
  }

  void step(Step step) {
    steps.add(step);
  }

  /** An operation from one array to another. */
  @FunctionalInterface
  interface Unary {
    void run(float[] src, int n, float[] dst);
  }

  /** An operation on one array in place. */
  @FunctionalInterface
  interface InPlace {
    void run(float[] x, int n);
  }

  /** Node {@code i} as {@code op} from its input's value into a new one. */
  void outOfPlace(int i, Unary op) {
    Value in = valueOf(nodes.get(i).inputs().get(0));
    Value out = new Value(size(nodes.get(i).out()));
    values[i] = out;
    steps.add(unary(nodes.get(i).path(), in, out, op));
  }

  // Steps are made in static methods, so that they keep their arrays, not the planner.
  private static Step unary(String name, Value in, Value out, Unary op) {
    return new Step(name, List.of(in), List.of(out)) {
      @Override
      void run(Frame f, int n) {
        op.run(f.get(in), n, f.get(out));
      }
    };
  }

  /**
   * Runs {@code op} on the input's value itself when this node is its only reader, else on a copy,
   * so that no other reader sees it changed (and the caller's input is never written).
   */
  void inPlace(int i, InPlace op) {
    int from = nodes.get(i).inputs().get(0);
    Value x = valueOf(from);
    String name = nodes.get(i).path();
    if (x == input || readers(base(from)) != 1) {
      Value copy = new Value(x.size);
      steps.add(copy(name + ":copy", x, copy));
      x = copy;
    }
    values[i] = x;
    steps.add(inPlace(name, x, op));
  }

  private static Step inPlace(String name, Value target, InPlace op) {
    return new Step(name, List.of(target), List.of(target)) {
      @Override
      void run(Frame f, int n) {
        op.run(f.get(target), n);
      }
    };
  }

  private static Step copy(String name, Value from, Value to) {
    return new Step(name, List.of(from), List.of(to)) {
      @Override
      void run(Frame f, int n) {
        System.arraycopy(f.get(from), 0, f.get(to), 0, n * from.size);
      }
    };
  }

  /** The value of Concat node {@code c}, made when a producer or the Concat first asks. */
  Value concatValue(int c) {
    return concatValues.computeIfAbsent(c, k -> new Value(size(nodes.get(k).out())));
  }

  /** Which of Concat node {@code c}'s operands are written into its value by their producers. */
  boolean[] writtenSlices(int c) {
    return writtenSlices.computeIfAbsent(c, k -> new boolean[nodes.get(k).inputs().size()]);
  }

  /** Marks the nodes of {@code path} as run by another node's step, their value {@code out}. */
  void absorb(List<Integer> path, Value out) {
    for (int j : path) {
      absorbed[j] = true;
      values[j] = out;
    }
  }

  // ---- walking the graph ----

  /**
   * The nodes from {@code i}'s only reader on, past Dropout (and Flatten if asked), to the first
   * other node, which is the last element; null if some node on the way has other readers or none.
   */
  List<Integer> follow(int i, boolean flatten) {
    List<Integer> path = new ArrayList<>();
    int cur = i;
    while (true) {
      List<Integer> readers = consumers.get(cur);
      if (readers.size() != 1) {
        return null;
      }
      int j = readers.get(0);
      path.add(j);
      Op.Alias alias = ops[j].alias();
      if (!(alias == Op.Alias.SAME || (flatten && alias == Op.Alias.RESHAPE))) {
        return path;
      }
      cur = j;
    }
  }

  /** The last node of a path from {@link #follow}. */
  static int end(List<Integer> path) {
    return path.get(path.size() - 1);
  }

  /** The node whose value {@code i} is, looking through Flatten and Dropout. */
  private int base(int i) {
    int cur = i;
    while (cur != Graph.INPUT && ops[cur].alias() != Op.Alias.NONE) {
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
      count += ops[j].alias() != Op.Alias.NONE ? readers(j) : 1;
    }
    return count;
  }

  /** Node {@code i}'s value, or the input's for {@link Graph#INPUT}. */
  Value valueOf(int i) {
    Value v = i == Graph.INPUT ? input : values[i];
    if (v == null) {
      throw new AssertionError("node " + i + " is used before it is planned");
    }
    return v;
  }

  String name(int i) {
    return i == Graph.INPUT ? Graph.INPUT_NAME : nodes.get(i).path();
  }

  /** The shape of node {@code i}'s first input. */
  Shape inShape(int i) {
    return graph.shape(nodes.get(i).inputs().get(0));
  }

  /** Node {@code i}'s output or input shape, {@link Graph#INPUT} for the network's. */
  Shape shape(int i) {
    return graph.shape(i);
  }

  /** A pooling window over node {@code i}'s input and output shapes. */
  Pool2dGeometry poolGeometry(
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
