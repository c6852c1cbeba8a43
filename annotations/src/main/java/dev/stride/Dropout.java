package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Dropout; the identity at inference, kept so that layer names and counts match PyTorch. */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Dropout {
  /** The drop probability, in {@code [0, 1)}. */
  double value() default 0.5;
}
