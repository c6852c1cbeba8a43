package dev.stride.graph;

import java.util.List;

/** {@code tanh(x)}, elementwise; the shape is unchanged. Encoded {@code Tanh}. */
public record Tanh() implements LayerKind {
  @Override
  public String type() {
    return "Tanh";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.tanh(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.single(type(), inputs);
  }
}
