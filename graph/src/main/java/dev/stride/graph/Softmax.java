package dev.stride.graph;

import java.util.List;

/** Softmax over the features of {@code (F)}. Encoded {@code Softmax}. */
public record Softmax() implements LayerKind {
  @Override
  public String type() {
    return "Softmax";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.softmax(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.flat(type(), inputs);
  }
}
