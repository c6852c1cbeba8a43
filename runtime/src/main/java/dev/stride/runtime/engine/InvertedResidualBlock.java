package dev.stride.runtime.engine;

import dev.stride.graph.Conv2d;
import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.graph.Shape;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.InvertedResidualGeometry;
import dev.stride.runtime.kernel.PreparedLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * MobileNetV2's inverted-residual block as one step: {@code conv 1x1 -> [BatchNorm] -> ReLU6 ->
 * depthwise conv 3x3 -> [BatchNorm] -> ReLU6 -> conv 1x1 -> [BatchNorm] -> [Add]}, the first 1x1
 * optional, each node the only reader of the one before (past Dropout), and the Add's other operand
 * already computed. The kernels run it per band of rows ({@link
 * dev.stride.runtime.kernel.Kernels#prepareInvertedResidual}), so the expanded activation never
 * leaves the cache; where they decline, each layer is planned as usual.
 */
final class InvertedResidualBlock {
  private InvertedResidualBlock() {}

  /**
   * Plans the block that starts at convolution node {@code i} and returns true, if there is one.
   */
  static boolean plan(Planner p, int i) {
    List<List<Integer>> taken = new ArrayList<>();
    Conv2d first = p.op(i).convolution();
    Shape in = p.inShape(i);
    int cur = i;
    float[][] expand = null;
    int dwNode = i;
    if (pointwise(first)) {
      expand = weights(p, i);
      cur = foldRelu6(p, cur, expand, taken);
      if (cur < 0) {
        return false;
      }
      List<Integer> path = p.follow(cur, false);
      if (path == null) {
        return false;
      }
      taken.add(path);
      dwNode = Planner.end(path);
    }
    Conv2d dw = p.op(dwNode).convolution();
    Shape hidden = p.inShape(dwNode);
    if (!depthwise(dw, hidden)) {
      return false;
    }
    float[][] depthwise = weights(p, dwNode);
    cur = foldRelu6(p, dwNode, depthwise, taken);
    if (cur < 0) {
      return false;
    }
    List<Integer> path = p.follow(cur, false);
    if (path == null || !pointwise(p.op(Planner.end(path)).convolution())) {
      return false;
    }
    taken.add(path);
    int projNode = Planner.end(path);
    float[][] project = weights(p, projNode);
    cur = projNode;
    path = p.follow(cur, false);
    if (path != null) {
      float[][] folded = p.op(Planner.end(path)).fold(p, Planner.end(path), project[0], project[1]);
      if (folded != null) {
        project = folded;
        taken.add(path);
        cur = Planner.end(path);
      }
    }
    Value residual = null;
    path = p.follow(cur, false);
    if (path != null && p.op(Planner.end(path)).sums()) {
      Node add = p.node(Planner.end(path));
      int mine = path.size() > 1 ? path.get(path.size() - 2) : cur;
      int other = add.inputs().get(0) == mine ? add.inputs().get(1) : add.inputs().get(0);
      if (other == Graph.INPUT || p.isDefined(other)) {
        residual = p.valueOf(other);
        taken.add(path);
        cur = Planner.end(path);
      }
    }
    Shape out = p.node(cur).out();
    InvertedResidualGeometry g =
        new InvertedResidualGeometry(
            in.channels(),
            hidden.channels(),
            out.channels(),
            hidden.height(),
            hidden.width(),
            dw.strideH(),
            expand != null);
    if (out.height() != g.outHeight() || out.width() != g.outWidth()) {
      return false;
    }
    PreparedLayer block =
        p.kernels()
            .prepareInvertedResidual(
                g,
                expand == null ? null : expand[0],
                expand == null ? null : expand[1],
                depthwise[0],
                depthwise[1],
                project[0],
                project[1]);
    if (block == null) {
      return false;
    }
    Value result = new Value(Planner.size(out));
    p.define(i, result);
    StringBuilder name = new StringBuilder(p.node(i).path());
    for (List<Integer> t : taken) {
      p.absorb(t, result);
      name.append('+').append(p.node(Planner.end(t)).path());
    }
    Value x = p.valueOf(p.node(i).inputs().get(0));
    Value shortcut = residual;
    int channels = out.channels();
    List<Value> reads = residual == null ? List.of(x) : List.of(x, residual);
    p.step(
        new Step(name.toString(), reads, List.of(result)) {
          @Override
          void run(Frame f, int n) {
            block.run(
                f.get(x), n, f.get(result), 0, channels, shortcut == null ? null : f.get(shortcut));
          }
        });
    return true;
  }

  /**
   * Folds an optional BatchNorm after node {@code cur} into {@code wb} (weight, bias; replaced in
   * place) and takes the ReLU6 after it; the ReLU6's node, or -1 if the nodes are not these.
   */
  private static int foldRelu6(Planner p, int cur, float[][] wb, List<List<Integer>> taken) {
    List<Integer> path = p.follow(cur, false);
    if (path == null) {
      return -1;
    }
    float[][] folded = p.op(Planner.end(path)).fold(p, Planner.end(path), wb[0], wb[1]);
    List<Integer> bn = null;
    if (folded != null) {
      bn = path;
      path = p.follow(Planner.end(path), false);
      if (path == null) {
        return -1;
      }
    }
    if (p.op(Planner.end(path)).activation() != Activation.RELU6) {
      return -1;
    }
    if (folded != null) {
      wb[0] = folded[0];
      wb[1] = folded[1];
      taken.add(bn);
    }
    taken.add(path);
    return Planner.end(path);
  }

  private static float[][] weights(Planner p, int i) {
    String name = p.node(i).path();
    return new float[][] {p.weight(name + ".weight"), p.weight(name + ".bias")};
  }

  /** A 1x1, stride-1, ungrouped convolution without padding. */
  private static boolean pointwise(Conv2d c) {
    return c != null
        && c.kernelH() == 1
        && c.kernelW() == 1
        && c.strideH() == 1
        && c.strideW() == 1
        && c.padTop() == 0
        && c.padBottom() == 0
        && c.padLeft() == 0
        && c.padRight() == 0
        && c.groups() == 1;
  }

  /** A 3x3 depthwise convolution on {@code in}, padding 1, the same stride both ways. */
  private static boolean depthwise(Conv2d c, Shape in) {
    return c != null
        && c.kernelH() == 3
        && c.kernelW() == 3
        && c.strideH() == c.strideW()
        && c.padTop() == 1
        && c.padBottom() == 1
        && c.padLeft() == 1
        && c.padRight() == 1
        && c.dilationH() == 1
        && c.dilationW() == 1
        && c.groups() == in.channels()
        && c.outChannels() == in.channels();
  }
}
