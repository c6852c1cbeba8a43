package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A fully connected layer, as PyTorch's {@code nn.Linear}: {@code (F) -> (outFeatures)}. */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Linear {
  /** Output features. */
  int outFeatures();

  /** Input features: 0 to infer them from the previous layer, otherwise checked against it. */
  int inFeatures() default 0;

  /** Whether the layer adds a learned bias. */
  boolean bias() default true;
}
