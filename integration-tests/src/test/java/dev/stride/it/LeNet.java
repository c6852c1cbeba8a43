package dev.stride.it;

import dev.stride.AvgPool;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.Sigmoid;

/** d2l's LeNet for Fashion-MNIST (1, 28, 28): a public spec with public fields. */
@Network(input = {1, 28, 28})
public class LeNet {
  @Conv2d(outChannels = 6, kernelSize = 5, padding = 2)
  public Layer conv1;

  @Sigmoid public Layer sig1;

  @AvgPool(kernelSize = 2, stride = 2)
  public Layer pool1;

  @Conv2d(inChannels = 6, outChannels = 16, kernelSize = 5)
  public Layer conv2;

  @Sigmoid public Layer sig2;

  @AvgPool(kernelSize = 2, stride = 2)
  public Layer pool2;

  @Flatten public Layer flatten;

  @Linear(inFeatures = 400, outFeatures = 120)
  public Layer fc1;

  @Sigmoid public Layer sig3;

  @Linear(outFeatures = 84)
  public Layer fc2;

  @Sigmoid public Layer sig4;

  @Linear(outFeatures = 10)
  public Layer fc3;
}
