package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a {@link Block} branching, as GoogLeNet's Inception: every field is a branch (a layer or a
 * sub-block) applied to the block's input, and the outputs are concatenated along channels in field
 * order (flat outputs: along features). The branches' H and W must be equal. No {@link Shortcut},
 * {@link Add} or {@link Concat} inside.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Parallel {}
