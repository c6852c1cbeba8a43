package dev.stride.it;

import dev.stride.AvgPool;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;

/**
 * Ceil mode, pooling padding and the divisor rules; mirrors {@code pool_options()} in {@code
 * tools/make_reference.py}. A package-private, final, concrete spec.
 */
@Network(input = {3, 21, 16})
final class PoolOptions {
  /** Ceil mode with padding: (3, 11, 9). */
  @MaxPool(kernelSize = 3, stride = 2, padding = 1, ceilMode = true)
  Layer max1;

  @MaxPool(
      kernelSize = {2, 3},
      stride = {1, 2})
  Layer max2;

  /** The last window in each dimension reaches past the padding; PyTorch divides by less. */
  @AvgPool(kernelSize = 3, stride = 2, padding = 1, ceilMode = true, countIncludePad = true)
  Layer avg1;

  @Conv2d(outChannels = 6, kernelSize = 1, inChannels = 3)
  Layer conv;

  @AvgPool(kernelSize = 3, stride = 2, padding = 1, ceilMode = true, countIncludePad = false)
  Layer avg2;

  /**
   * From (6, 4, 2) ceil mode would give (6, 3, 2), but each last window would start in the
   * bottom/right padding, so PyTorch drops it: (6, 2, 1).
   */
  @SuppressWarnings("stride") // stride 3 over a kernel of 2 skips a row and a column per step
  @MaxPool(kernelSize = 2, stride = 3, padding = 1, ceilMode = true)
  Layer max3;

  @Flatten Layer flatten;

  @Linear(inFeatures = 12, outFeatures = 7)
  Layer fc;
}
