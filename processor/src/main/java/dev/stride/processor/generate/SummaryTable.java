package dev.stride.processor.generate;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.processor.model.NetworkPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The torchinfo-like layer table of a network, one string per row, computed at compile time so the
 * generated class only stores it.
 */
final class SummaryTable {
  private static final String[] HEADER = {"Layer", "Type", "Output shape", "Params", "Mult-adds"};

  private SummaryTable() {}

  /**
   * The rows: title, header, rule, one per node, rule, totals. Each node's text and counts come
   * from its graph layer kind, the one place that knows them.
   */
  static List<String> rows(NetworkPlan plan) {
    Graph graph = plan.graph();
    List<String[]> cells = new ArrayList<>();
    cells.add(HEADER);
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      List<dev.stride.graph.Shape> inputs = graph.inputShapes(i);
      cells.add(
          new String[] {
            node.path(),
            node.kind().describe(inputs),
            node.out().toString(),
            count(node.kind().parameterCount(inputs)),
            count(node.kind().multiplyAdds(inputs, node.out()))
          });
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : cells) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    int total = (HEADER.length - 1) * 2;
    for (int w : widths) {
      total += w;
    }
    String rule = "=".repeat(total);
    List<String> rows = new ArrayList<>();
    rows.add(plan.model().name() + ", input " + plan.input());
    rows.add(rule);
    for (int r = 0; r < cells.size(); r++) {
      rows.add(row(cells.get(r), widths));
      if (r == 0) {
        rows.add(rule);
      }
    }
    rows.add(rule);
    rows.add("Total params: " + grouped(plan.parameters()));
    rows.add("Multiply-adds per sample: " + grouped(plan.multiplyAdds()));
    rows.add(
        String.format(
            Locale.ROOT, "Params size (MB, float32): %.2f", plan.parameters() * 4 / 1_000_000.0));
    return rows;
  }

  /** Text columns left-aligned, numbers right-aligned, two spaces apart, no trailing blanks. */
  private static String row(String[] cells, int[] widths) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        sb.append("  ");
      }
      String pad = " ".repeat(widths[i] - cells[i].length());
      sb.append(i >= 3 ? pad + cells[i] : cells[i] + pad);
    }
    return sb.toString().stripTrailing();
  }

  /** Grouped, or {@code --} for a layer without any, as torchinfo. */
  private static String count(long n) {
    return n == 0 ? "--" : grouped(n);
  }

  static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
