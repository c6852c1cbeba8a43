package dev.stride.processor.model;

import dev.stride.graph.Graph;
import java.util.List;

/**
 * A spec that passed every check, ready for code generation.
 *
 * @param model the parsed spec
 * @param input the input shape
 * @param layers the checked layers in forward order
 * @param graph the same network as the graph module's nodes, whose layer kinds give the counts
 */
public record NetworkPlan(NetworkModel model, Shape input, List<LayerPlan> layers, Graph graph) {
  /** Copies the list. */
  public NetworkPlan {
    layers = List.copyOf(layers);
  }

  /** The output shape. */
  public Shape output() {
    return layers.isEmpty() ? input : layers.get(layers.size() - 1).out();
  }

  /**
   * The total parameter count, PyTorch's, from the layer kinds.
   *
   * @throws ArithmeticException if it exceeds a long; the checker reports that before a plan exists
   */
  public long parameters() {
    return graph.parameterCount();
  }

  /**
   * The total multiply-adds per sample, from the layer kinds.
   *
   * @throws ArithmeticException if it exceeds a long; the checker reports that before a plan exists
   */
  public long multiplyAdds() {
    return graph.multiplyAdds();
  }
}
