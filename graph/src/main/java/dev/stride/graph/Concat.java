package dev.stride.graph;

import java.util.List;

/**
 * Two or more inputs joined along channels, in input order ({@code torch.cat(xs, dim=1)}); their H
 * and W must be equal. Flat inputs join their features. Encoded {@code Concat}.
 */
public record Concat() implements LayerKind {
  @Override
  public String type() {
    return "Concat";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.concat(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    if (inputs.size() < 2) {
      throw new IllegalArgumentException("Concat takes two or more inputs, not " + inputs.size());
    }
    Shape first = inputs.get(0);
    long channels = 0;
    for (Shape in : inputs) {
      if (in.rank() != first.rank()
          || (!in.isFlat()
              && (in.rank() != 3
                  || in.height() != first.height()
                  || in.width() != first.width()))) {
        throw new IllegalArgumentException(
            "Concat needs inputs of equal H and W (or all flat), not " + inputs);
      }
      channels += in.channels();
    }
    int c = Kinds.size(type(), "channels", channels);
    return first.isFlat() ? Shape.of(c) : Shape.of(c, first.height(), first.width());
  }
}
