package dev.stride.graph;

import java.util.List;
import java.util.Objects;

/**
 * One layer of a network graph.
 *
 * @param path the dotted field path, which is also the prefix of its weight keys ({@code
 *     layer2.0.conv1})
 * @param kind what it computes, every size resolved
 * @param inputs indices of earlier nodes in the graph, or {@link Graph#INPUT} for the network input
 * @param out the shape of one output sample
 */
public record Node(String path, LayerKind kind, List<Integer> inputs, Shape out) {
  /** Copies the inputs and checks for nulls. */
  public Node {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(out, "out");
    inputs = List.copyOf(inputs);
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException(path + ": a node takes at least one input");
    }
  }
}
