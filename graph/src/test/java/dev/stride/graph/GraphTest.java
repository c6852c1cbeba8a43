package dev.stride.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {
  private static final String[] BLOCK = {
    "conv1     Conv2d 8 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias  -> [8, 6, 6]",
    "bn1       BatchNorm eps=1.0E-5                              -> [8, 6, 6]",
    "relu1     ReLU                                              -> [8, 6, 6]",
    "conv2     Conv2d 8 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias  -> [8, 6, 6]",
    "bn2       BatchNorm eps=1.0E-5                              -> [8, 6, 6]",
    "add       Add <- bn2, relu1                                 -> [8, 6, 6]",
    "relu2     ReLU                                              -> [8, 6, 6]",
    "cat       Concat <- (input), relu2, add                     -> [19, 6, 6]",
    "gap       GlobalAvgPool                                     -> [19, 1, 1]",
    "flatten   Flatten                                           -> [19]",
    "fc        Linear 5 bias                                     -> [5]",
  };

  @Test
  void parsesRowsIntoNodes() {
    Graph g = Graph.parse("Block", new int[] {3, 6, 6}, BLOCK);
    assertEquals(11, g.nodes().size());
    assertEquals(Shape.of(3, 6, 6), g.input());
    assertEquals(Shape.of(5), g.output());
    assertEquals(List.of(Graph.INPUT), g.nodes().get(0).inputs());
    assertEquals(List.of(0), g.nodes().get(1).inputs());
    assertEquals(List.of(4, 2), g.nodes().get(5).inputs());
    assertEquals(List.of(Graph.INPUT, 6, 5), g.nodes().get(7).inputs());
    assertEquals(List.of(3, 5), g.consumers(2));
    assertEquals(List.of(0, 7), g.consumers(Graph.INPUT));
    assertEquals(List.of(6, 7), g.consumers(5));
    assertEquals(
        List.of(Shape.of(3, 6, 6), Shape.of(8, 6, 6), Shape.of(8, 6, 6)), g.inputShapes(7));
    assertEquals(new BatchNorm(1e-5), g.nodes().get(4).kind());
    assertEquals(5, g.indexOf("add"));
    // conv 8*3*9 + conv 8*8*9 + 2 BN x 16 + linear 19*5+5
    assertEquals(216 + 576 + 32 + 100, g.parameterCount());
    assertEquals(216 * 36 + 576 * 36 + 95, g.multiplyAdds());
  }

  @Test
  void rowsRoundTrip() {
    Graph g = Graph.parse("Block", new int[] {3, 6, 6}, BLOCK);
    List<String> rows = g.rows();
    Graph again = Graph.parse("Block", new int[] {3, 6, 6}, rows.toArray(String[]::new));
    assertEquals(g, again);
    assertEquals(rows, again.rows());
    // The previous node is implied; an explicit operand list is written only where needed.
    assertEquals(2, rows.stream().filter(r -> r.contains("<-")).count());
    assertTrue(rows.get(7).contains("Concat <- (input), relu2, add"), rows.get(7));
    assertTrue(rows.get(0).endsWith("-> [8, 6, 6]"), rows.get(0));
    // Every kind round-trips through a row.
    for (LayerKind kind : LayerKindTest.samples()) {
      assertEquals(kind, LayerKind.decode(kind.encode()));
    }
  }

  @Test
  void everyKindSurvivesATable() {
    List<Node> nodes = new ArrayList<>();
    nodes.add(node("c", new Conv2d(4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true), -1));
    nodes.add(node("bn", new BatchNorm(0.001), 0));
    nodes.add(node("r6", new ReLU6(), 1));
    nodes.add(node("mp", new MaxPool(2, 2, 1, 1, 0, 1, 0, 1, true), 2));
    nodes.add(node("ap", new AvgPool(3, 3, 1, 1, 1, 1, 1, 1, false, false), 3));
    nodes.add(node("add", new Add(), 4, 2));
    nodes.add(node("cat", new Concat(), -1, 5));
    nodes.add(node("sig", new Sigmoid(), 6));
    nodes.add(node("gap", new GlobalAvgPool(), 7));
    nodes.add(node("fl", new Flatten(), 8));
    nodes.add(node("tanh", new Tanh(), 9));
    nodes.add(node("relu", new ReLU(), 10));
    nodes.add(node("drop", new Dropout(0.1), 11));
    nodes.add(node("fc", new Linear(3, false), 12));
    nodes.add(node("sm", new Softmax(), 13));
    Graph g = build(nodes);
    Graph again = Graph.parse(g.name(), g.input().dims(), g.rows().toArray(String[]::new));
    assertEquals(g, again);
    assertEquals(Shape.of(3), again.output());
  }

  private static Node node(String path, LayerKind kind, int... inputs) {
    List<Integer> ins = new ArrayList<>();
    for (int i : inputs) {
      ins.add(i);
    }
    return new Node(path, kind, ins, Shape.of(1)); // the shape is filled in by build
  }

  private static Graph build(List<Node> draft) {
    Shape input = Shape.of(2, 5, 5);
    List<Node> nodes = new ArrayList<>();
    for (Node n : draft) {
      List<Shape> ins = new ArrayList<>();
      for (int i : n.inputs()) {
        ins.add(i == Graph.INPUT ? input : nodes.get(i).out());
      }
      nodes.add(new Node(n.path(), n.kind(), n.inputs(), n.kind().output(ins)));
    }
    return new Graph("All", input, nodes);
  }

  @Test
  void resNet18CountsTorchvisionsParameters() {
    List<Node> nodes = new ArrayList<>();
    Shape input = Shape.of(3, 224, 224);
    Adder add = new Adder(input, nodes);
    int x = add.conv("conv1", -1, 64, 7, 2, 3);
    x = add.node("bn1", new BatchNorm(1e-5), x);
    x = add.node("relu", new ReLU(), x);
    x = add.node("maxpool", new MaxPool(3, 3, 2, 2, 1, 1, 1, 1, false), x);
    int channels = 64;
    for (int layer = 1; layer <= 4; layer++) {
      int out = 64 << (layer - 1);
      for (int b = 0; b < 2; b++) {
        String p = "layer" + layer + "." + b + ".";
        int stride = layer > 1 && b == 0 ? 2 : 1;
        int y = add.conv(p + "conv1", x, out, 3, stride, 1);
        y = add.node(p + "bn1", new BatchNorm(1e-5), y);
        y = add.node(p + "relu1", new ReLU(), y);
        y = add.conv(p + "conv2", y, out, 3, 1, 1);
        y = add.node(p + "bn2", new BatchNorm(1e-5), y);
        int shortcut = x;
        if (out != channels) {
          shortcut = add.conv(p + "downsample.0", x, out, 1, 2, 0);
          shortcut = add.node(p + "downsample.1", new BatchNorm(1e-5), shortcut);
        }
        y = add.node(p + "add", new Add(), y, shortcut);
        x = add.node(p + "relu2", new ReLU(), y);
        channels = out;
      }
    }
    x = add.node("avgpool", new GlobalAvgPool(), x);
    x = add.node("flatten", new Flatten(), x);
    add.node("fc", new Linear(1000, true), x);
    Graph g = new Graph("ResNet18", input, nodes);
    assertEquals(11_689_512L, g.parameterCount());
    assertEquals(Shape.of(512, 7, 7), g.shape(g.indexOf("layer4.1.relu2")));
    assertEquals(
        g, Graph.parse("ResNet18", new int[] {3, 224, 224}, g.rows().toArray(String[]::new)));
  }

  /** Appends nodes with their computed output shapes. */
  private record Adder(Shape input, List<Node> nodes) {
    int node(String path, LayerKind kind, int... inputs) {
      List<Integer> ins = new ArrayList<>();
      List<Shape> shapes = new ArrayList<>();
      for (int i : inputs) {
        ins.add(i);
        shapes.add(i == Graph.INPUT ? input : nodes.get(i).out());
      }
      nodes.add(new Node(path, kind, ins, kind.output(shapes)));
      return nodes.size() - 1;
    }

    int conv(String path, int in, int out, int k, int s, int p) {
      return node(path, new Conv2d(out, k, k, s, s, p, p, p, p, 1, 1, 1, false, false), in);
    }
  }

  @Test
  void inconsistentTablesAreRejectedNamingTheRow() {
    assertRejected(
        "row 0 'c Conv2d", "no '-> [shape]'", "c Conv2d 8 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias");
    assertRejected(
        "Net.c: output [8, 5, 5] should be [8, 4, 4]",
        "",
        "c Conv2d 8 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias -> [8, 5, 5]");
    assertRejected(
        "input 'nowhere' is not an earlier node",
        "",
        "r ReLU -> [2, 4, 4]",
        "a Add <- r, nowhere -> [2, 4, 4]");
    assertRejected(
        "a second node with this path", "", "r ReLU -> [2, 4, 4]", "r ReLU -> [2, 4, 4]");
    assertRejected(
        "Add needs inputs of equal shape", "", "f Flatten -> [32]", "a Add <- f, (input) -> [32]");
    assertRejected("a shape is written", "", "r ReLU -> 2, 4, 4");
    assertRejected("needs a path and a layer kind", "", "ReLU -> [2, 4, 4]");
  }

  private static void assertRejected(String part, String part2, String... rows) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Graph.parse("Net", new int[] {2, 4, 4}, rows));
    assertTrue(e.getMessage().contains(part) && e.getMessage().contains(part2), e.getMessage());
  }

  @Test
  void shapeParsesWhatItPrints() {
    assertEquals(Shape.of(64, 56, 56), Shape.parse(Shape.of(64, 56, 56).toString()));
    assertEquals("[10]", Shape.of(10).toString());
    assertEquals(3, Shape.of(1, 2, 3).rank());
    assertEquals(12L, Shape.of(2, 2, 3).size());
    assertEquals(1, Shape.of(7).height());
    assertThrows(IllegalArgumentException.class, () -> Shape.of(3, 0, 2));
    assertThrows(IllegalArgumentException.class, () -> Shape.of());
  }
}
