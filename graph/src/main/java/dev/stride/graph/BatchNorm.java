package dev.stride.graph;

import java.util.List;

/**
 * Eval-mode batch norm per channel of {@code (C, H, W)} or per feature of {@code (F)}; the shape is
 * unchanged. Encoded {@code BatchNorm eps=1.0E-5}.
 */
public record BatchNorm(double eps) implements LayerKind {
  /** Checks that eps is positive. */
  public BatchNorm {
    if (!(eps > 0) || Double.isInfinite(eps)) {
      throw new IllegalArgumentException("BatchNorm eps must be positive, got " + eps);
    }
  }

  @Override
  public String type() {
    return "BatchNorm";
  }

  @Override
  public <R> R accept(Visitor<R> visitor) {
    return visitor.batchNorm(this);
  }

  @Override
  public Shape output(List<Shape> inputs) {
    Shape in = Kinds.single(type(), inputs);
    if (in.rank() != 1 && in.rank() != 3) {
      throw new IllegalArgumentException("BatchNorm needs a (C, H, W) or (F) input, not " + in);
    }
    return in;
  }

  @Override
  public List<Param> parameters(List<Shape> inputs) {
    Shape c = Shape.of(output(inputs).channels());
    return List.of(
        new Param("weight", c, false, Param.Init.constant(1f)),
        new Param("bias", c, false, Param.Init.constant(0f)),
        new Param("running_mean", c, true, Param.Init.constant(0f)),
        new Param("running_var", c, true, Param.Init.constant(1f)));
  }

  @Override
  public List<String> unreadSuffixes() {
    return List.of("num_batches_tracked");
  }

  @Override
  public String describe(List<Shape> inputs) {
    Shape in = output(inputs);
    return (in.isFlat() ? "BatchNorm1d(" : "BatchNorm2d(")
        + in.channels()
        + (eps == 1e-5 ? "" : ", eps=" + eps)
        + ")";
  }

  @Override
  public String encode() {
    return "BatchNorm eps=" + eps;
  }
}
