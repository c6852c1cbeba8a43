package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A {@link Layer} field of a {@link Block} whose output is the shortcut and the main chain
 * concatenated along channels, shortcut first, as d2l's DenseNet {@code torch.cat((X, Y), dim=1)};
 * H and W must be equal. Flat shapes concatenate features. Has no parameters.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface Concat {}
