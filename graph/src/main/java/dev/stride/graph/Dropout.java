package dev.stride.graph;

import java.util.List;

/**
 * Dropout with drop probability {@code p}: the identity at inference, kept so that names and counts
 * match PyTorch. Encoded {@code Dropout p=0.5}.
 */
public record Dropout(double p) implements LayerKind {
  /** Checks that p is in [0, 1). */
  public Dropout {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("Dropout p must be in [0, 1), got " + p);
    }
  }

  @Override
  public String type() {
    return "Dropout";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.dropout(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    return Kinds.single(type(), inputs);
  }

  @Override
  public String describe(List<Shape> inputs) {
    return "Dropout(p=" + p + ")";
  }

  @Override
  public String encode() {
    return "Dropout p=" + p;
  }
}
