package dev.stride.graph;

import java.util.List;

/** {@code input (F), weight (OF, F) -> (OF)}. Encoded {@code Linear 10 bias}, or {@code nobias}. */
public record Linear(int outFeatures, boolean bias) implements LayerKind {
  /** Checks that the out features are positive. */
  public Linear {
    Kinds.positive("Linear out features", outFeatures);
  }

  @Override
  public String type() {
    return "Linear";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.linear(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    Kinds.flat(type(), inputs);
    return Shape.of(outFeatures);
  }

  @Override
  public List<Param> parameters(List<Shape> inputs) {
    int in = Kinds.flat(type(), inputs).channels();
    Param.Init init = Param.Init.uniform(in);
    Param weight = new Param("weight", Shape.of(outFeatures, in), false, init);
    return bias
        ? List.of(weight, new Param("bias", Shape.of(outFeatures), false, init))
        : List.of(weight);
  }

  @Override
  public long multiplyAdds(List<Shape> inputs, Shape out) {
    return ShapeArithmetic.linearMultiplyAdds(Kinds.flat(type(), inputs).channels(), outFeatures);
  }

  @Override
  public String describe(List<Shape> inputs) {
    return "Linear("
        + Kinds.flat(type(), inputs).channels()
        + ", "
        + outFeatures
        + (bias ? "" : ", bias=False")
        + ")";
  }

  @Override
  public String encode() {
    return "Linear " + outFeatures + (bias ? " bias" : " nobias");
  }
}
