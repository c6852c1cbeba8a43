package dev.stride.it;

import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.GlobalAvgPool;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.ReLU;

/**
 * Every {@link Conv2d} option; mirrors {@code conv_options()} in {@code tools/make_reference.py}. A
 * public abstract spec with package-private fields.
 */
@Network(input = {3, 17, 19})
public abstract class ConvOptions {
  /** Asymmetric kernel and stride, padding {top, bottom, left, right}: (8, 9, 18). */
  @SuppressWarnings("stride") // (17 + 1 + 2 - 3) / 2 leaves the last padded row unused
  @Conv2d(
      outChannels = 8,
      kernelSize = {3, 5},
      stride = {2, 1},
      padding = {1, 2, 0, 3})
  Layer asym;

  /** PyTorch's padding='same' with an even kernel: 3 rows of padding, the odd one at the bottom. */
  @Conv2d(outChannels = 8, kernelSize = 4, same = true)
  Layer same1;

  /** TensorFlow SAME at stride 2: (12, ceil(9 / 2), ceil(18 / 2)) = (12, 5, 9). */
  @Conv2d(
      outChannels = 12,
      kernelSize = {2, 4},
      stride = 2,
      same = true,
      inChannels = 8)
  Layer same2;

  @ReLU Layer relu;

  /** Dilation {2, 3} with padding {h, w} = {2, 3} keeps (5, 9). */
  @Conv2d(
      outChannels = 16,
      kernelSize = 3,
      padding = {2, 3},
      dilation = {2, 3})
  Layer dilated;

  @Conv2d(outChannels = 24, kernelSize = 3, padding = 1, groups = 2, bias = false)
  Layer grouped;

  /** Depthwise with a channel multiplier of 2. */
  @Conv2d(outChannels = 48, kernelSize = 3, stride = 2, padding = 1, groups = 24)
  Layer depthwise;

  @Conv2d(outChannels = 10, kernelSize = 1)
  Layer pointwise;

  @GlobalAvgPool Layer gap;
  @Flatten Layer flatten;

  @Linear(outFeatures = 5)
  Layer fc;
}
