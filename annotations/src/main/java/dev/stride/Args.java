package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values of a sub-block's parameters {@link Arg#A}, {@link Arg#B}, ... in order, for this use
 * of the block: {@code @Args({64, 2}) Down layer2;}. Give exactly as many values as the block takes
 * (its highest letter used). Literals and the enclosing block's {@code Arg} constants may be mixed.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Args {
  /** One value per parameter, in letter order. */
  int[] value();
}
