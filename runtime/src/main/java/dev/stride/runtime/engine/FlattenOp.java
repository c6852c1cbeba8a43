package dev.stride.runtime.engine;

/** {@code (N, C, H, W) -> (N, C*H*W)}: the input's value, read as flat; no step. */
final class FlattenOp extends Op {
  @Override
  Alias alias() {
    return Alias.RESHAPE;
  }

  @Override
  void plan(Planner p, int i) {
    p.define(i, p.valueOf(p.node(i).inputs().get(0)));
  }
}
