package dev.stride.processor.model;

import java.util.List;

/**
 * A checked layer: the spec with its input and output shapes. Its counts are its graph layer kind's
 * (see {@link NetworkPlan#graph()}).
 *
 * @param spec the layer as written
 * @param in the shape of one input sample
 * @param out the shape of one output sample
 * @param window the resolved window of a convolution or pooling layer, else null
 * @param inChannels the input channels (or features) the layer's weights are sized for
 * @param inputs the indices of the plans it reads, -1 for the network input
 */
public record LayerPlan(
    LayerSpec spec, Shape in, Shape out, Window window, int inChannels, List<Integer> inputs) {
  /** Copies the list. */
  public LayerPlan {
    inputs = List.copyOf(inputs);
  }

  /** A plan whose inputs are set later, by {@link #withInputs}. */
  public LayerPlan(LayerSpec spec, Shape in, Shape out, Window window, int inChannels) {
    this(spec, in, out, window, inChannels, List.of());
  }

  /** This plan reading {@code inputs}. */
  public LayerPlan withInputs(List<Integer> inputs) {
    return new LayerPlan(spec, in, out, window, inChannels, inputs);
  }
}
