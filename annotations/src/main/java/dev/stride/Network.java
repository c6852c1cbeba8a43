package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a network spec: its instance fields of type {@link Layer}, in declaration order, are the
 * layers, and the processor generates {@code <Spec>Model} beside it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Network {
  /** The shape of one sample: {@code {C, H, W}} for images or {@code {F}} for flat features. */
  int[] input();
}
