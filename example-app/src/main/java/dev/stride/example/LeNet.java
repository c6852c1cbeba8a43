package dev.stride.example;

import dev.stride.AvgPool;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.Sigmoid;

/** d2l's LeNet (chapter 6.6) for 1 x 28 x 28 Fashion-MNIST images: sigmoid and average pooling. */
@Network(input = {1, 28, 28})
public abstract class LeNet {
  @Conv2d(outChannels = 6, kernelSize = 5, padding = 2)
  Layer conv1;

  @Sigmoid Layer act1;

  @AvgPool(kernelSize = 2, stride = 2)
  Layer pool1;

  @Conv2d(outChannels = 16, kernelSize = 5)
  Layer conv2;

  @Sigmoid Layer act2;

  @AvgPool(kernelSize = 2, stride = 2)
  Layer pool2;

  @Flatten Layer flatten;

  @Linear(outFeatures = 120)
  Layer fc1;

  @Sigmoid Layer act3;

  @Linear(outFeatures = 84)
  Layer fc2;

  @Sigmoid Layer act4;

  @Linear(outFeatures = 10)
  Layer fc3;
}
