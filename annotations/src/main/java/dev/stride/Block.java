package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a reusable part of a network. Its fields are layers, exactly as in a {@link Network}, or
 * sub-blocks: a field whose type is a {@code @Block} class runs that block in place, in field
 * order. One block class can be used many times with different input shapes; in-channels and
 * in-features are inferred per use. Nothing ever instantiates a block class, so it may be abstract
 * and package-private. A class cannot be both {@code @Block} and {@code @Network}.
 *
 * <p>The block's main chain is its fields in order, except the {@link Shortcut} field; {@link Add}
 * and {@link Concat} merge the main chain with the shortcut. Int attributes may be {@link Arg}
 * constants, given per use with {@link Args}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface Block {}
