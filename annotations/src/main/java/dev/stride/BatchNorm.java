package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Batch normalisation with running statistics (eval mode): per channel of {@code (C, H, W)} as
 * {@code nn.BatchNorm2d}, per feature of {@code (F)} as {@code nn.BatchNorm1d}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface BatchNorm {
  /** Added to the running variance before the square root. */
  double eps() default 1e-5;
}
