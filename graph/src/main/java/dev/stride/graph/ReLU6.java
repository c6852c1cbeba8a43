package dev.stride.graph;

import java.util.List;

/** {@code min(max(x, 0), 6)}, elementwise; the shape is unchanged. Encoded {@code ReLU6}. */
public record ReLU6() implements LayerKind {
  @Override
  public String type() {
    return "ReLU6";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.relu6(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.single(type(), inputs);
  }
}
