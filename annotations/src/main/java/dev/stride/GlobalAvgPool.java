package dev.stride;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Averages each channel: {@code (C, H, W) -> (C, 1, 1)}, as {@code nn.AdaptiveAvgPool2d(1)}. */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.FIELD)
public @interface GlobalAvgPool {}
