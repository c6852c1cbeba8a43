package dev.stride.graph;

import java.util.Objects;

/**
 * One tensor of a layer's {@code state_dict()}, named {@code <path>.<suffix>}.
 *
 * @param suffix e.g. {@code weight}, {@code bias}, {@code running_mean}
 * @param shape PyTorch's layout, e.g. a convolution weight's {@code (OC, C/groups, KH, KW)}
 * @param buffer true for running statistics, which PyTorch saves but does not count as parameters
 * @param init the values PyTorch's module starts from, for weights drawn at random
 */
public record Param(String suffix, Shape shape, boolean buffer, Init init) {
  /** Checks for nulls. */
  public Param {
    Objects.requireNonNull(suffix, "suffix");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(init, "init");
  }

  /**
   * PyTorch's default initial values of a tensor: {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))} when
   * {@code fanIn > 0} ({@code nn.Conv2d} and {@code nn.Linear}, whose {@code kaiming_uniform_(a =
   * sqrt(5))} reduces to it, for weight and bias alike), else every element {@code fill}.
   */
  public record Init(int fanIn, float fill) {
    /** Uniform in {@code +-1/sqrt(fanIn)}. */
    public static Init uniform(int fanIn) {
      return new Init(fanIn, 0f);
    }

    /** Every element {@code value}. */
    public static Init constant(float value) {
      return new Init(0, value);
    }

    /** Whether the values are drawn at random. */
    public boolean random() {
      return fanIn > 0;
    }
  }
}
