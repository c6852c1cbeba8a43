package dev.stride.runtime.engine;

/** The identity at inference: the input's value; no step. */
final class DropoutOp extends Op {
  @Override
  Alias alias() {
    return Alias.SAME;
  }

  @Override
  void plan(Planner p, int i) {
    p.define(i, p.valueOf(p.node(i).inputs().get(0)));
  }
}
