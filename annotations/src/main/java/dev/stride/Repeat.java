package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a sub-block field {@code value} times in sequence, each copy inferring its own input shape,
 * as an {@code nn.Sequential} of blocks: weight keys number the copies from 0 ({@code
 * layer2.0.conv1.weight}). With {@code first = X.class}, copy 0 is an {@code X} (ResNet's
 * downsampling first block).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Repeat {
  /** The number of copies, at least 1; may be an {@link Arg} constant inside a {@link Block}. */
  int value();

  /** The {@link Block} class of copy 0; {@code Void.class} (the default) means the field's type. */
  Class<?> first() default Void.class;
}
