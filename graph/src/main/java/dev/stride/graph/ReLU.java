package dev.stride.graph;

import java.util.List;

/** {@code max(x, 0)}, elementwise; the shape is unchanged. Encoded {@code ReLU}. */
public record ReLU() implements LayerKind {
  @Override
  public String type() {
    return "ReLU";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.relu(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.single(type(), inputs);
  }
}
