package dev.stride.runtime.engine;

/**
 * The arrays one run of a plan works in: the caller's input and output and this thread's buffers.
 */
final class Frame {
  float[] input;
  float[] output;
  float[][] buffers;

  float[] get(Value v) {
    return switch (v.storage) {
      case Value.INPUT -> input;
      case Value.OUTPUT -> output;
      default -> buffers[v.storage];
    };
  }
}
