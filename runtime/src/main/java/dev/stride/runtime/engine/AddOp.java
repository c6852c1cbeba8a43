package dev.stride.runtime.engine;

import dev.stride.graph.Node;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Kernels;
import java.util.List;

/**
 * The sum of two inputs of equal shape (a residual connection), with an activation after it in the
 * same pass. A producer of one operand takes it into its output pass instead, when it can (see
 * {@link GemmOp}).
 */
final class AddOp extends Op {
  @Override
  boolean sums() {
    return true;
  }

  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    Node node = p.node(i);
    Value a = p.valueOf(node.inputs().get(0));
    Value b = p.valueOf(node.inputs().get(1));
    Value out = new Value(Planner.size(node.out()));
    String name = node.path();
    Activation act = Activation.NONE;
    int last = i;
    if (p.fuse()) {
      List<Integer> path = p.follow(i, true);
      if (path != null && p.op(Planner.end(path)).activation() != null) {
        act = p.op(Planner.end(path)).activation();
        name += "+" + p.node(Planner.end(path)).path();
        last = Planner.end(path);
        p.absorb(path, out);
      }
    }
    p.define(i, out);
    p.define(last, out);
    Activation activation = act;
    int size = out.size;
    p.step(
        new Step(name, List.of(a, b), List.of(out)) {
          @Override
          void run(Frame f, int n) {
            kernels.add(f.get(a), f.get(b), f.get(out), n * size, activation);
          }
        });
  }
}
