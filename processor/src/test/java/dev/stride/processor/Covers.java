package dev.stride.processor;

import dev.stride.processor.check.Message;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The catalogue entries a test method provokes; {@link CatalogueCoverageTest} requires them all.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Covers {
  Message[] value();
}
