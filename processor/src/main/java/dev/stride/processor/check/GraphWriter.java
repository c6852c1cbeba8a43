package dev.stride.processor.check;

import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Node;
import dev.stride.processor.model.LayerPlan;
import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.model.Shape;
import dev.stride.processor.model.Window;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked network as the graph module's {@link Graph}: the rows the generated class holds, and
 * the counts the summary and the totals take from the layer kinds.
 */
public final class GraphWriter {
  private GraphWriter() {}

  /**
   * The graph of checked {@code layers}; its constructor re-derives every output shape from the
   * layer kinds, so a disagreement between checker and graph module fails here, not at run time.
   */
  static Graph graph(String name, Shape input, List<LayerPlan> layers) {
    List<Node> nodes = new ArrayList<>();
    for (LayerPlan layer : layers) {
      nodes.add(new Node(layer.spec().name(), kind(layer), layer.inputs(), shape(layer.out())));
    }
    return new Graph(name, shape(input), nodes);
  }

  static dev.stride.graph.Shape shape(Shape shape) {
    return dev.stride.graph.Shape.of(shape.dims().stream().mapToInt(Integer::intValue).toArray());
  }

  private static LayerKind kind(LayerPlan layer) {
    LayerSpec spec = layer.spec();
    Window w = layer.window();
    if (spec instanceof LayerSpec.Conv2d conv) {
      return new dev.stride.graph.Conv2d(
          conv.outChannels(),
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          w.dilationH(),
          w.dilationW(),
          conv.groups(),
          conv.bias(),
          conv.same());
    }
    if (spec instanceof LayerSpec.MaxPool pool) {
      return new dev.stride.graph.MaxPool(
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          pool.ceilMode());
    }
    if (spec instanceof LayerSpec.AvgPool pool) {
      return new dev.stride.graph.AvgPool(
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          pool.ceilMode(),
          pool.countIncludePad());
    }
    if (spec instanceof LayerSpec.BatchNorm bn) {
      return new dev.stride.graph.BatchNorm(bn.eps());
    }
    if (spec instanceof LayerSpec.Linear linear) {
      return new dev.stride.graph.Linear(linear.outFeatures(), linear.bias());
    }
    if (spec instanceof LayerSpec.Dropout dropout) {
      return new dev.stride.graph.Dropout(dropout.p());
    }
    return switch (spec.annotation()) {
      case "GlobalAvgPool" -> new dev.stride.graph.GlobalAvgPool();
      case "ReLU" -> new dev.stride.graph.ReLU();
      case "ReLU6" -> new dev.stride.graph.ReLU6();
      case "Sigmoid" -> new dev.stride.graph.Sigmoid();
      case "Tanh" -> new dev.stride.graph.Tanh();
      case "Softmax" -> new dev.stride.graph.Softmax();
      case "Flatten" -> new dev.stride.graph.Flatten();
      case "Add" -> new dev.stride.graph.Add();
      case "Concat" -> new dev.stride.graph.Concat();
      default -> throw new IllegalStateException("no layer kind for " + spec);
    };
  }
}
