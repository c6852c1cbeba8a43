package dev.stride.graph;

import java.util.List;

/** {@code (C, H, W) -> (C*H*W)}: no data moves. Encoded {@code Flatten}. */
public record Flatten() implements LayerKind {
  @Override
  public String type() {
    return "Flatten";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.flatten(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    long size = Kinds.single(type(), inputs).size();
    return Shape.of(Kinds.size(type(), "features", size));
  }
}
