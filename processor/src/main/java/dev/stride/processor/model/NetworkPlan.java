package dev.stride.processor.model;

import java.util.List;

/**
 * A spec that passed every check, ready for code generation.
 *
 * @param model the parsed spec
 * @param input the input shape
 * @param layers the checked layers in forward order
 * @param parameters the total parameter count
 * @param multiplyAdds the total multiply-adds per sample
 */
public record NetworkPlan(
    NetworkModel model, Shape input, List<LayerPlan> layers, long parameters, long multiplyAdds) {
  /** Copies the list. */
  public NetworkPlan {
    layers = List.copyOf(layers);
  }

  /** The output shape. */
  public Shape output() {
    return layers.isEmpty() ? input : layers.get(layers.size() - 1).out();
  }
}
