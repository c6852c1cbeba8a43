package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A 2-D convolution, as PyTorch's {@code nn.Conv2d}: {@code (C, H, W) -> (outChannels, H', W')}
 * with {@code H' = floor((H + top + bottom - dilation * (k - 1) - 1) / stride) + 1}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Conv2d {
  /** Output channels. */
  int outChannels();

  /** Kernel size: one value for both dimensions, or {@code {h, w}}. */
  int[] kernelSize();

  /** Stride: one value or {@code {h, w}}. */
  int[] stride() default {1};

  /** Zero padding per side: one value, {@code {h, w}} or {@code {top, bottom, left, right}}. */
  int[] padding() default {0};

  /**
   * Pads so that the output is {@code ceil(n / stride)}, the odd pixel at the bottom/right
   * (PyTorch's {@code padding='same'} at stride 1, TensorFlow's {@code SAME} otherwise).
   */
  boolean same() default false;

  /** Spacing between kernel taps: one value or {@code {h, w}}. */
  int[] dilation() default {1};

  /** Channel groups; must divide both the input and the output channels. */
  int groups() default 1;

  /** Whether the layer adds a learned bias. */
  boolean bias() default true;

  /** Input channels: 0 to infer them from the previous layer, otherwise checked against it. */
  int inChannels() default 0;
}
