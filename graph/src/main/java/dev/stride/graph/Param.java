package dev.stride.graph;

import java.util.Objects;

/**
 * One tensor of a layer's {@code state_dict()}, named {@code <path>.<suffix>}.
 *
 * @param suffix e.g. {@code weight}, {@code bias}, {@code running_mean}
 * @param shape PyTorch's layout, e.g. a convolution weight's {@code (OC, C/groups, KH, KW)}
 * @param buffer true for running statistics, which PyTorch saves but does not count as parameters
 */
public record Param(String suffix, Shape shape, boolean buffer) {
  /** Checks for nulls. */
  public Param {
    Objects.requireNonNull(suffix, "suffix");
    Objects.requireNonNull(shape, "shape");
  }
}
