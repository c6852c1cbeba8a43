package dev.stride.graph;

import java.util.List;

/** {@code 1 / (1 + exp(-x))}, elementwise; the shape is unchanged. Encoded {@code Sigmoid}. */
public record Sigmoid() implements LayerKind {
  @Override
  public String type() {
    return "Sigmoid";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.sigmoid(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.single(type(), inputs);
  }
}
