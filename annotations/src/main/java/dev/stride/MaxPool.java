package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** 2-D max pooling, as PyTorch's {@code nn.MaxPool2d}: {@code (C, H, W) -> (C, H', W')}. */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface MaxPool {
  /** Window size: one value or {@code {h, w}}. */
  int[] kernelSize();

  /** Stride: one value or {@code {h, w}}; empty means the kernel size, as in PyTorch. */
  int[] stride() default {};

  /**
   * Implicit padding per side (never selected): one, two or four values; at most half the kernel.
   */
  int[] padding() default {0};

  /** Rounds the output size up instead of down, dropping a window that starts in the padding. */
  boolean ceilMode() default false;
}
