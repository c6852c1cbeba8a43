package dev.stride.it;

import dev.stride.AvgPool;
import dev.stride.BatchNorm;
import dev.stride.Conv2d;
import dev.stride.Dropout;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.ReLU;
import dev.stride.Softmax;
import dev.stride.Tanh;

/** Specs nested in another class: the processor generates {@code NestedSpecs_<Spec>Model}. */
final class NestedSpecs {
  private NestedSpecs() {}

  /**
   * Pooling padding as {h, w} and as {top, bottom, left, right}, and the default stride; mirrors
   * {@code pool_padding()} in {@code tools/make_reference.py}.
   */
  @Network(input = {2, 11, 12})
  static final class PoolPadding {
    /** Stride omitted, so 2 as the kernel; padding {h, w}: (2, 6, 6). */
    @SuppressWarnings("stride") // (11 + 2 - 2) / 2 leaves the last padded row unused
    @MaxPool(
        kernelSize = 2,
        padding = {1, 0})
    Layer max1;

    @MaxPool(
        kernelSize = 3,
        stride = 1,
        padding = {1, 0, 0, 1})
    Layer max2;

    @Conv2d(outChannels = 4, kernelSize = 1)
    Layer conv;

    @AvgPool(
        kernelSize = {2, 3},
        stride = {1, 2},
        padding = {0, 1, 1, 1})
    Layer avg1;

    @AvgPool(
        kernelSize = {3, 2},
        stride = 2,
        padding = {1, 1, 0, 1},
        countIncludePad = false)
    Layer avg2;

    @Flatten Layer flatten;

    @Linear(outFeatures = 5)
    Layer fc;
  }

  /** A flat (F) input; mirrors {@code flat_mlp()} in {@code tools/make_reference.py}. */
  @Network(input = {20})
  abstract static class FlatMlp {
    @Linear(inFeatures = 20, outFeatures = 32)
    Layer fc1;

    @BatchNorm Layer bn;
    @Tanh Layer tanh;

    @Dropout(0.1)
    Layer drop;

    @Linear(outFeatures = 16)
    Layer fc2;

    @ReLU Layer relu;

    @Linear(outFeatures = 5)
    Layer fc3;

    @Softmax Layer softmax;
  }
}
