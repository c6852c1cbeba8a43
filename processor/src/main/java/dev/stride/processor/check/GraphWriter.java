package dev.stride.processor.check;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.processor.model.LayerPlan;
import dev.stride.processor.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked network as the graph module's {@link Graph}: the rows the generated class holds, and
 * the counts the summary and the totals take from the layer kinds. Each spec gives its own kind
 * ({@link dev.stride.processor.model.LayerSpec#kind}).
 */
final class GraphWriter {
  private GraphWriter() {}

  /**
   * The graph of checked {@code layers}; its constructor re-derives every output shape from the
   * layer kinds, so a disagreement between checker and graph module fails here, not at run time.
   */
  static Graph graph(String name, Shape input, List<LayerPlan> layers) {
    List<Node> nodes = new ArrayList<>();
    for (LayerPlan layer : layers) {
      nodes.add(
          new Node(
              layer.spec().name(),
              layer.spec().kind(layer.window()),
              layer.inputs(),
              shape(layer.out())));
    }
    return new Graph(name, shape(input), nodes);
  }

  static dev.stride.graph.Shape shape(Shape shape) {
    return dev.stride.graph.Shape.of(shape.dims().stream().mapToInt(Integer::intValue).toArray());
  }
}
