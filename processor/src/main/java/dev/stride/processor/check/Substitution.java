package dev.stride.processor.check;

import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.parse.NetworkParser;
import java.util.ArrayList;
import java.util.List;

/** One use of a block's layer: its Arg constants replaced by the use's values, its path as name. */
final class Substitution {
  private final int[] args;

  /** {@code args}: the values of {@code Arg.A}, {@code Arg.B}, ...; null at network level. */
  Substitution(int[] args) {
    this.args = args;
  }

  /** The value, or the parameter's value when it is an Arg constant the use supplies. */
  int value(int v) {
    int index = NetworkParser.argIndex(v);
    return index > 0 && args != null && index <= args.length ? args[index - 1] : v;
  }

  List<Integer> values(List<Integer> vs) {
    List<Integer> out = new ArrayList<>(vs.size());
    for (int v : vs) {
      out.add(value(v));
    }
    return out;
  }

  /** {@code layer} named {@code path}, with every Arg constant substituted. */
  LayerSpec apply(LayerSpec layer, String path) {
    // An if-chain, not a pattern switch: type patterns in switch are a preview feature in Java 17.
    if (layer instanceof LayerSpec.Conv2d c) {
      return new LayerSpec.Conv2d(
          path,
          c.site(),
          value(c.outChannels()),
          values(c.kernelSize()),
          values(c.stride()),
          values(c.padding()),
          c.same(),
          values(c.dilation()),
          value(c.groups()),
          c.bias(),
          value(c.inChannels()));
    }
    if (layer instanceof LayerSpec.MaxPool p) {
      return new LayerSpec.MaxPool(
          path,
          p.site(),
          values(p.kernelSize()),
          values(p.stride()),
          values(p.padding()),
          p.ceilMode());
    }
    if (layer instanceof LayerSpec.AvgPool p) {
      return new LayerSpec.AvgPool(
          path,
          p.site(),
          values(p.kernelSize()),
          values(p.stride()),
          values(p.padding()),
          p.ceilMode(),
          p.countIncludePad());
    }
    if (layer instanceof LayerSpec.Linear l) {
      return new LayerSpec.Linear(
          path, l.site(), value(l.outFeatures()), value(l.inFeatures()), l.bias());
    }
    if (layer instanceof LayerSpec.BatchNorm b) {
      return new LayerSpec.BatchNorm(path, b.site(), b.eps());
    }
    if (layer instanceof LayerSpec.Dropout d) {
      return new LayerSpec.Dropout(path, d.site(), d.p());
    }
    if (layer instanceof LayerSpec.Unreadable u) {
      return new LayerSpec.Unreadable(path, u.site(), u.annotation(), u.keepsShape());
    }
    return switch (layer.annotation()) {
      case "GlobalAvgPool" -> new LayerSpec.GlobalAvgPool(path, layer.site());
      case "ReLU" -> new LayerSpec.ReLU(path, layer.site());
      case "ReLU6" -> new LayerSpec.ReLU6(path, layer.site());
      case "Sigmoid" -> new LayerSpec.Sigmoid(path, layer.site());
      case "Tanh" -> new LayerSpec.Tanh(path, layer.site());
      case "Softmax" -> new LayerSpec.Softmax(path, layer.site());
      case "Flatten" -> new LayerSpec.Flatten(path, layer.site());
      case "Add" -> new LayerSpec.Add(path, layer.site());
      case "Concat" -> new LayerSpec.Concat(path, layer.site());
      default -> throw new IllegalStateException("no substitution for " + layer);
    };
  }
}
