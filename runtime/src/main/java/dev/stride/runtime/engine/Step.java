package dev.stride.runtime.engine;

import java.util.List;

/**
 * One step of a plan: the graph nodes it runs (fused ones joined, {@code conv1+bn1+relu1}), the
 * values it reads and writes, and the work.
 */
abstract class Step {
  final String name;
  final List<Value> reads;
  final List<Value> writes;

  Step(String name, List<Value> reads, List<Value> writes) {
    this.name = name;
    this.reads = reads;
    this.writes = writes;
  }

  /** Runs {@code n} samples in {@code frame}'s arrays. */
  abstract void run(Frame frame, int n);
}
