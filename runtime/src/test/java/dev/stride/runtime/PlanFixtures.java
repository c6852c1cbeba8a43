package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import java.io.IOException;
import java.util.Map;
import java.util.Random;

/** What the tests of planned networks share: weights worth folding, and the relative comparison. */
final class PlanFixtures {
  private PlanFixtures() {}

  /**
   * {@code network} with random weights and BatchNorm parameters and statistics far from the
   * identity, so that folding shows: gamma and variance in [0.5, 1.5), beta and mean in [-0.5,
   * 0.5).
   */
  static CompiledNetwork withStatistics(NetworkDef network, long seed) throws IOException {
    Map<String, Tensor> tensors = CompiledNetwork.random(network, seed).tensors();
    Random r = new Random(seed);
    Graph graph = network.graph();
    for (Node node : graph.nodes()) {
      if (!node.kind().type().equals("BatchNorm")) {
        continue;
      }
      for (String suffix : new String[] {"weight", "bias", "running_mean", "running_var"}) {
        float[] data = tensors.get(node.path() + "." + suffix).data();
        boolean scale = suffix.equals("weight") || suffix.equals("running_var");
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (scale ? 0.5 + r.nextDouble() : r.nextDouble() - 0.5);
        }
      }
    }
    return CompiledNetwork.fromTensors(network, tensors);
  }

  /** Every element within {@code relative} of the largest magnitude in {@code expected}. */
  static void assertRelative(float[] expected, float[] actual, double relative, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 1e-6;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= relative * scale)) {
        fail(what + ": at " + i + " expected " + expected[i] + " but was " + actual[i]);
      }
    }
  }
}
