package dev.stride.it;

import dev.stride.BatchNorm;
import dev.stride.Conv2d;
import dev.stride.Dropout;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.ReLU;
import dev.stride.Sigmoid;
import dev.stride.Softmax;
import dev.stride.Tanh;

/**
 * Batch norm over (C, H, W) and over (F), every activation, a bias-free linear layer; mirrors
 * {@code norm_and_activations()} in {@code tools/make_reference.py}. A package-private abstract
 * spec.
 */
@Network(input = {3, 10, 10})
abstract class NormAndActivations {
  @Conv2d(outChannels = 6, kernelSize = 3, padding = 1)
  Layer conv1;

  @BatchNorm Layer bn1;
  @Sigmoid Layer sigmoid;

  @SuppressWarnings("stride") // (10 - 3) / 2 leaves the last row and column unused
  @Conv2d(outChannels = 8, kernelSize = 3, stride = 2)
  Layer conv2;

  @Tanh Layer tanh;

  @Conv2d(outChannels = 8, kernelSize = 3, padding = 1)
  Layer conv3;

  @ReLU Layer relu;
  @Flatten Layer flatten;

  @Linear(outFeatures = 32, bias = false)
  Layer fc1;

  @BatchNorm(eps = 1e-2)
  Layer bn2;

  @Dropout Layer drop;

  @Linear(outFeatures = 10)
  Layer fc2;

  @Softmax Layer softmax;
}
