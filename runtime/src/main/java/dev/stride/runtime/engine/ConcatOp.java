package dev.stride.runtime.engine;

import dev.stride.graph.Node;
import dev.stride.runtime.kernel.Kernels;
import java.util.List;

/**
 * Inputs joined along channels. Producers that can write their channel slice of the output do so
 * (see {@link GemmOp}); the other operands are copied in here.
 */
final class ConcatOp extends Op {
  @Override
  boolean joinsChannels() {
    return true;
  }

  @Override
  void plan(Planner p, int c) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    Node node = p.node(c);
    Value out = p.concatValue(c);
    p.define(c, out);
    boolean[] written = p.writtenSlices(c);
    int total = node.out().channels();
    int spatial = node.out().height() * node.out().width();
    int offset = 0;
    for (int k = 0; k < node.inputs().size(); k++) {
      int operand = node.inputs().get(k);
      int channels = p.shape(operand).channels();
      if (!written[k]) {
        Value src = p.valueOf(operand);
        int at = offset;
        p.step(
            new Step(node.path() + "<-" + p.name(operand), List.of(src), List.of(out)) {
              @Override
              void run(Frame f, int n) {
                kernels.copyChannels(f.get(src), n, channels, spatial, f.get(out), at, total);
              }
            });
      }
      offset += channels;
    }
  }
}
