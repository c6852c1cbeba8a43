/**
 * The Stride DSL: a class annotated {@link dev.stride.Network} whose {@link dev.stride.Layer}
 * fields, each carrying one layer annotation, are the layers of a network in declaration order.
 *
 * <p>The annotation processor ({@code stride-processor}) checks the shapes at compile time and
 * generates a {@code <Spec>Model} class beside the spec. Shapes follow PyTorch: one sample is
 * {@code (C, H, W)} or {@code (F)}, a batch adds a leading {@code N}.
 */
package dev.stride;
