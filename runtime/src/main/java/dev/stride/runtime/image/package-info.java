/**
 * Images in, labels out: {@link dev.stride.runtime.image.ImageInput} turns pictures into a model's
 * {@code (C, H, W)} input as torchvision's transforms do, and {@link
 * dev.stride.runtime.image.Predictions} turns its logits into probabilities and the top classes.
 */
package dev.stride.runtime.image;
