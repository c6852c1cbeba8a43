package dev.stride.graph;

import java.util.List;

/** {@code (C, H, W) -> (C, 1, 1)}, the mean of each channel. Encoded {@code GlobalAvgPool}. */
public record GlobalAvgPool() implements LayerKind {
  @Override
  public String type() {
    return "GlobalAvgPool";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.globalAvgPool(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Shape.of(Kinds.spatial(type(), inputs).channels(), 1, 1);
  }
}
