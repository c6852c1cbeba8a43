package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks at most one field of a {@link Block} (a layer or a sub-block) as the side path: it is
 * applied to the block's input, wherever it is declared, and its output is the shortcut that {@link
 * Add} and {@link Concat} merge with. Without a {@code @Shortcut} field the shortcut is the block's
 * input.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Shortcut {}
