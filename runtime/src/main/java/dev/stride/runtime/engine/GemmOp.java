package dev.stride.runtime.engine;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.graph.Shape;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.PreparedLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * A convolution or linear layer: a GEMM whose output pass takes in what follows it. When it is the
 * only reader's producer (past Dropout) it takes, in order, a BatchNorm (folded into its weights),
 * then an activation (past Flatten too), or else an {@code Add} whose other operand is already
 * computed and an activation after that Add; and it writes its channel slice of a {@code Concat}
 * that reads it. The subclasses say how the kernels prepare it.
 */
abstract class GemmOp extends Op {
  /** The layer prepared by the kernels for node {@code i}'s shapes, with these tensors. */
  abstract PreparedLayer prepare(
      Planner p, int i, float[] weight, float[] bias, Activation activation);

  @Override
  void plan(Planner p, int i) {
    Node node = p.node(i);
    String name = node.path();
    float[] weight = p.weight(name + ".weight");
    float[] bias = p.weight(name + ".bias");
    Activation act = Activation.NONE;
    Value residual = null;
    int cur = i;
    List<List<Integer>> taken = new ArrayList<>();
    float[] given = weight;
    if (p.fuse()) {
      List<Integer> path = p.follow(cur, false);
      float[][] folded =
          path == null ? null : p.op(Planner.end(path)).fold(p, Planner.end(path), weight, bias);
      if (folded != null) {
        weight = folded[0];
        bias = folded[1];
        cur = take(path, taken);
      }
      path = p.follow(cur, true);
      if (path != null && p.op(Planner.end(path)).activation() != null) {
        act = p.op(Planner.end(path)).activation();
        cur = take(path, taken);
      }
      path = p.follow(cur, false);
      if (act == Activation.NONE && path != null && p.op(Planner.end(path)).sums()) {
        Node add = p.node(Planner.end(path));
        int mine = path.size() > 1 ? path.get(path.size() - 2) : cur;
        int other = add.inputs().get(0) == mine ? add.inputs().get(1) : add.inputs().get(0);
        // The shortcut must be complete before this layer runs: computed by an earlier step.
        if (other == Graph.INPUT || p.isDefined(other)) {
          residual = p.valueOf(other);
          cur = take(path, taken);
          path = p.follow(cur, true);
          if (path != null && p.op(Planner.end(path)).activation() != null) {
            act = p.op(Planner.end(path)).activation();
            cur = take(path, taken);
          }
        }
      }
    }
    Value out;
    int offset = 0;
    int outChannels = node.out().channels();
    List<Integer> toConcat = p.fuse() ? p.follow(cur, false) : null;
    if (toConcat != null
        && p.op(Planner.end(toConcat)).joinsChannels()
        && p.node(Planner.end(toConcat)).out().rank() == p.node(cur).out().rank()) {
      int c = Planner.end(toConcat);
      Node concat = p.node(c);
      int mine = toConcat.size() > 1 ? toConcat.get(toConcat.size() - 2) : cur;
      int k = concat.inputs().indexOf(mine);
      for (int j = 0; j < k; j++) {
        offset += p.shape(concat.inputs().get(j)).channels();
      }
      outChannels = concat.out().channels();
      out = p.concatValue(c);
      p.writtenSlices(c)[k] = true;
      p.absorb(toConcat.subList(0, toConcat.size() - 1), out);
    } else {
      out = new Value(Planner.size(p.node(cur).out()));
    }
    p.define(i, out);
    StringBuilder stepName = new StringBuilder(name);
    for (List<Integer> path : taken) {
      p.absorb(path, out);
      stepName.append('+').append(p.node(Planner.end(path)).path());
    }
    boolean plain = offset == 0 && outChannels == node.out().channels() && residual == null;
    PreparedLayer prepared = prepareFused(p, i, weight, bias, act, !plain);
    if (weight == given) {
      p.prepared(name + ".weight", prepared);
    }
    Value in = p.valueOf(node.inputs().get(0));
    Value shortcut = residual;
    int at = offset;
    int total = outChannels;
    List<Value> reads = residual == null ? List.of(in) : List.of(in, residual);
    p.step(
        plain
            ? new Step(stepName.toString(), reads, List.of(out)) {
              @Override
              void run(Frame f, int n) {
                prepared.run(f.get(in), n, f.get(out));
              }
            }
            : new Step(stepName.toString(), reads, List.of(out)) {
              @Override
              void run(Frame f, int n) {
                prepared.run(
                    f.get(in), n, f.get(out), at, total, shortcut == null ? null : f.get(shortcut));
              }
            });
  }

  private static int take(List<Integer> path, List<List<Integer>> taken) {
    taken.add(path);
    return Planner.end(path);
  }

  /**
   * The layer prepared by the kernels; with {@code slice} (a Concat slice or a residual), or with
   * an activation the layer might not know, a layer from a {@link Kernels} implementation that does
   * not override the slice-and-residual {@code run} runs plain and is wrapped by {@link
   * PreparedLayer#unfused}.
   */
  private PreparedLayer prepareFused(
      Planner p, int i, float[] weight, float[] bias, Activation act, boolean slice) {
    PreparedLayer layer = prepare(p, i, weight, bias, act);
    if (slice && !writesSlices(layer)) {
      Shape out = p.node(i).out();
      float[] w = layer.rebuildsWeight() ? layer.weight() : weight; // it may hold the array now
      layer =
          PreparedLayer.unfused(
              p.kernels(),
              out.channels(),
              out.height() * out.width(),
              act,
              prepare(p, i, w, bias, Activation.NONE));
    }
    return layer;
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
}
