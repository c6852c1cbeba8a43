package dev.stride.processor.generate;

import dev.stride.processor.model.LayerPlan;
import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.model.NetworkPlan;
import dev.stride.processor.model.Window;
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

  /** The rows: title, header, rule, one per layer, rule, totals. */
  static List<String> rows(NetworkPlan plan) {
    List<String[]> cells = new ArrayList<>();
    cells.add(HEADER);
    for (LayerPlan layer : plan.layers()) {
      cells.add(
          new String[] {
            layer.spec().name(),
            describe(layer),
            layer.out().toString(),
            count(layer.parameters()),
            count(layer.multiplyAdds())
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

  /** The layer as PyTorch prints it, with only the non-default options. */
  static String describe(LayerPlan layer) {
    LayerSpec spec = layer.spec();
    Window w = layer.window();
    if (spec instanceof LayerSpec.Conv2d conv) {
      List<String> args = new ArrayList<>();
      args.add(String.valueOf(layer.inChannels()));
      args.add(String.valueOf(conv.outChannels()));
      args.add("kernel=" + pair(w.kernelH(), w.kernelW()));
      if (w.strideH() != 1 || w.strideW() != 1) {
        args.add("stride=" + pair(w.strideH(), w.strideW()));
      }
      if (conv.same()) {
        args.add("padding=same");
      } else if (padded(w)) {
        args.add("padding=" + padding(w));
      }
      if (w.dilationH() != 1 || w.dilationW() != 1) {
        args.add("dilation=" + pair(w.dilationH(), w.dilationW()));
      }
      if (conv.groups() != 1) {
        args.add("groups=" + conv.groups());
      }
      if (!conv.bias()) {
        args.add("bias=False");
      }
      return "Conv2d(" + String.join(", ", args) + ")";
    }
    if (spec instanceof LayerSpec.Pooling pool) {
      List<String> args = new ArrayList<>();
      args.add("kernel=" + pair(w.kernelH(), w.kernelW()));
      if (w.strideH() != w.kernelH() || w.strideW() != w.kernelW()) {
        args.add("stride=" + pair(w.strideH(), w.strideW()));
      }
      if (padded(w)) {
        args.add("padding=" + padding(w));
      }
      if (pool.ceilMode()) {
        args.add("ceil_mode=True");
      }
      if (pool instanceof LayerSpec.AvgPool avg && !avg.countIncludePad()) {
        args.add("count_include_pad=False");
      }
      return (pool instanceof LayerSpec.MaxPool ? "MaxPool2d(" : "AvgPool2d(")
          + String.join(", ", args)
          + ")";
    }
    if (spec instanceof LayerSpec.BatchNorm bn) {
      return (layer.in().isFlat() ? "BatchNorm1d(" : "BatchNorm2d(")
          + layer.inChannels()
          + (bn.eps() == 1e-5 ? "" : ", eps=" + bn.eps())
          + ")";
    }
    if (spec instanceof LayerSpec.Linear linear) {
      return "Linear("
          + layer.inChannels()
          + ", "
          + linear.outFeatures()
          + (linear.bias() ? "" : ", bias=False")
          + ")";
    }
    if (spec instanceof LayerSpec.Dropout dropout) {
      return "Dropout(p=" + dropout.p() + ")";
    }
    // GlobalAvgPool, ReLU, ReLU6, Sigmoid, Tanh, Softmax, Flatten, Add, Concat: nothing to
    // configure.
    return spec.annotation();
  }

  private static boolean padded(Window w) {
    return w.padTop() != 0 || w.padBottom() != 0 || w.padLeft() != 0 || w.padRight() != 0;
  }

  private static String padding(Window w) {
    if (w.padTop() == w.padBottom() && w.padLeft() == w.padRight()) {
      return pair(w.padTop(), w.padLeft());
    }
    return "(" + w.padTop() + ", " + w.padBottom() + ", " + w.padLeft() + ", " + w.padRight() + ")";
  }

  private static String pair(int h, int w) {
    return h == w ? String.valueOf(h) : "(" + h + ", " + w + ")";
  }

  /** Grouped, or {@code --} for a layer without any, as torchinfo. */
  private static String count(long n) {
    return n == 0 ? "--" : grouped(n);
  }

  static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
