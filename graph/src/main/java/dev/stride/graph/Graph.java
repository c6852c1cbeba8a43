package dev.stride.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A network: its input shape and its nodes in an order where every node comes after its inputs. The
 * last node's output is the network's output. A chain is the graph whose every node takes the
 * previous one.
 *
 * <p>Construction checks the structure and that each node's output is what its kind makes of its
 * inputs, so a graph that exists is consistent.
 *
 * <h2>The row table</h2>
 *
 * {@link #rows()} writes one row per node and {@link #parse} reads them back:
 *
 * <pre>
 * row    := path kind [ "&lt;-" input { "," input } ] "-&gt;" shape
 * input  := path of an earlier node | "(input)"
 * shape  := "[" int { "," int } "]"
 * </pre>
 *
 * A row without {@code <-} takes the previous node (the network input for the first row). Tokens
 * are separated by any amount of whitespace; a path has none. {@code kind} is {@link
 * LayerKind#encode()}'s text: the type and then its attributes, every size explicit:
 *
 * <pre>
 * Conv2d 64 k=7x7 s=2x2 p=3,3,3,3 d=1x1 g=1 nobias     (bias | nobias) [same]
 * MaxPool k=3x3 s=2x2 p=1,1,1,1                         [ceil]
 * AvgPool k=2x2 s=2x2 p=0,0,0,0                         [ceil] [nopadcount]
 * BatchNorm eps=1.0E-5
 * Linear 1000 bias                                      (bias | nobias)
 * Dropout p=0.5
 * GlobalAvgPool  ReLU  ReLU6  Sigmoid  Tanh  Softmax  Flatten  Add  Concat
 * </pre>
 *
 * For example:
 *
 * <pre>
 * conv1          Conv2d 64 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias  -&gt; [64, 56, 56]
 * bn1            BatchNorm eps=1.0E-5                               -&gt; [64, 56, 56]
 * layer1.0.add   Add &lt;- layer1.0.bn2, bn1                          -&gt; [64, 56, 56]
 * </pre>
 *
 * @param name the network's name, e.g. {@code ResNet18}
 * @param input the shape of one input sample
 * @param nodes the nodes, each after its inputs
 */
public record Graph(String name, Shape input, List<Node> nodes) {
  /** The index that stands for the network input in {@link Node#inputs()}. */
  public static final int INPUT = -1;

  /** How {@link #rows()} writes the network input as an operand. */
  public static final String INPUT_NAME = "(input)";

  /**
   * Copies the nodes and checks the graph.
   *
   * @throws IllegalArgumentException naming the node, if a path repeats or is not a single token,
   *     an input is not an earlier node, or an output is not what the node's kind computes
   */
  public Graph {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(input, "input");
    nodes = List.copyOf(nodes);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      String where = name + "." + node.path();
      if (node.path().isEmpty()
          || node.path().chars().anyMatch(Character::isWhitespace)
          || node.path().equals(INPUT_NAME)) {
        throw new IllegalArgumentException(where + ": not a valid path");
      }
      if (seen.put(node.path(), i) != null) {
        throw new IllegalArgumentException(where + ": a second node with this path");
      }
      List<Shape> ins = new ArrayList<>();
      for (int in : node.inputs()) {
        if (in < INPUT || in >= i) {
          throw new IllegalArgumentException(where + ": input " + in + " is not an earlier node");
        }
        ins.add(in == INPUT ? input : nodes.get(in).out());
      }
      Shape expected;
      try {
        expected = node.kind().output(ins);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      if (!expected.equals(node.out())) {
        throw new IllegalArgumentException(
            where
                + ": output "
                + node.out()
                + " should be "
                + expected
                + " for "
                + node.kind().encode()
                + " on "
                + ins);
      }
    }
  }

  /** The shape of one output sample: the last node's, or the input's if there are no nodes. */
  public Shape output() {
    return nodes.isEmpty() ? input : nodes.get(nodes.size() - 1).out();
  }

  /** The shape of node {@code i}'s output, or of the network input for {@link #INPUT}. */
  public Shape shape(int i) {
    return i == INPUT ? input : nodes.get(i).out();
  }

  /** The shapes of node {@code i}'s inputs, in order. */
  public List<Shape> inputShapes(int i) {
    List<Shape> shapes = new ArrayList<>();
    for (int in : nodes.get(i).inputs()) {
      shapes.add(shape(in));
    }
    return shapes;
  }

  /**
   * The nodes that read node {@code i}'s output ({@link #INPUT}: the network input), in order; a
   * node that reads it twice is listed twice.
   */
  public List<Integer> consumers(int i) {
    List<Integer> consumers = new ArrayList<>();
    for (int j = Math.max(i + 1, 0); j < nodes.size(); j++) {
      for (int in : nodes.get(j).inputs()) {
        if (in == i) {
          consumers.add(j);
        }
      }
    }
    return consumers;
  }

  /** The index of the node with this path, or -2 if there is none. */
  public int indexOf(String path) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).path().equals(path)) {
        return i;
      }
    }
    return INPUT - 1;
  }

  /** PyTorch's {@code sum(p.numel())} over every node's parameters. */
  public long parameterCount() {
    long n = 0;
    for (int i = 0; i < nodes.size(); i++) {
      n = Math.addExact(n, nodes.get(i).kind().parameterCount(inputShapes(i)));
    }
    return n;
  }

  /** Multiply-adds per sample over every node. */
  public long multiplyAdds() {
    long n = 0;
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      n = Math.addExact(n, node.kind().multiplyAdds(inputShapes(i), node.out()));
    }
    return n;
  }

  /** The graph as rows in the grammar above, columns aligned; {@link #parse} reads them back. */
  public List<String> rows() {
    String[] left = new String[nodes.size()];
    String[] middle = new String[nodes.size()];
    int leftWidth = 0;
    int middleWidth = 0;
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      left[i] = node.path();
      StringBuilder sb = new StringBuilder(node.kind().encode());
      if (!node.inputs().equals(List.of(i - 1))) {
        List<String> names = new ArrayList<>();
        for (int in : node.inputs()) {
          names.add(in == INPUT ? INPUT_NAME : nodes.get(in).path());
        }
        sb.append(" <- ").append(String.join(", ", names));
      }
      middle[i] = sb.toString();
      leftWidth = Math.max(leftWidth, left[i].length());
      middleWidth = Math.max(middleWidth, middle[i].length());
    }
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      rows.add(
          left[i]
              + " ".repeat(leftWidth - left[i].length() + 2)
              + middle[i]
              + " ".repeat(middleWidth - middle[i].length() + 2)
              + "-> "
              + nodes.get(i).out());
    }
    return rows;
  }

  /**
   * Reads rows written by {@link #rows()} (see the grammar above).
   *
   * @throws IllegalArgumentException naming the row, if one does not follow the grammar or the
   *     graph is not consistent
   */
  public static Graph parse(String name, int[] input, String... rows) {
    Shape in = Shape.of(input);
    List<Node> nodes = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < rows.length; i++) {
      String row = rows[i];
      try {
        Node node = parseRow(row, i, index);
        index.put(node.path(), i);
        nodes.add(node);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            name + ": row " + i + " '" + row.strip() + "': " + e.getMessage(), e);
      }
    }
    return new Graph(name, in, nodes);
  }

  private static Node parseRow(String row, int i, Map<String, Integer> index) {
    int arrow = row.lastIndexOf("->");
    if (arrow < 0) {
      throw new IllegalArgumentException("no '-> [shape]'");
    }
    Shape out = Shape.parse(row.substring(arrow + 2));
    String head = row.substring(0, arrow);
    List<Integer> inputs = new ArrayList<>();
    int from = head.indexOf("<-");
    if (from >= 0) {
      for (String operand : head.substring(from + 2).split(",", -1)) {
        String op = operand.strip();
        if (op.equals(INPUT_NAME)) {
          inputs.add(INPUT);
        } else if (index.containsKey(op)) {
          inputs.add(index.get(op));
        } else {
          throw new IllegalArgumentException("input '" + op + "' is not an earlier node");
        }
      }
      head = head.substring(0, from);
    } else {
      inputs.add(i - 1);
    }
    String[] parts = head.strip().split("\\s+", 2);
    if (parts.length < 2) {
      throw new IllegalArgumentException("needs a path and a layer kind");
    }
    return new Node(parts[0], LayerKind.decode(parts[1]), inputs, out);
  }
}
