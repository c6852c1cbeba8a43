package dev.stride.graph;

import java.util.List;

/**
 * The elementwise sum of two inputs of equal shape (a residual connection). Encoded {@code Add}.
 */
public record Add() implements LayerKind {
  @Override
  public String type() {
    return "Add";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.add(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    if (inputs.size() != 2) {
      throw new IllegalArgumentException("Add takes two inputs, not " + inputs.size());
    }
    if (!inputs.get(0).equals(inputs.get(1))) {
      throw new IllegalArgumentException(
          "Add needs inputs of equal shape, not " + inputs.get(0) + " and " + inputs.get(1));
    }
    return inputs.get(0);
  }
}
