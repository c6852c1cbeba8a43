package dev.stride.it;

import dev.stride.Conv2d;
import dev.stride.Dropout;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.ReLU;

/** d2l's AlexNet for Fashion-MNIST resized to (1, 224, 224): 46,764,746 parameters. */
@SuppressWarnings("stride") // conv1 drops 3 rows and columns, each pooling 1, as in d2l
@Network(input = {1, 224, 224})
abstract class AlexNet {
  @Conv2d(outChannels = 96, kernelSize = 11, stride = 4, padding = 1)
  Layer conv1;

  @ReLU Layer relu1;

  @MaxPool(kernelSize = 3, stride = 2)
  Layer pool1;

  @Conv2d(outChannels = 256, kernelSize = 5, padding = 2)
  Layer conv2;

  @ReLU Layer relu2;

  @MaxPool(kernelSize = 3, stride = 2)
  Layer pool2;

  @Conv2d(outChannels = 384, kernelSize = 3, padding = 1)
  Layer conv3;

  @ReLU Layer relu3;

  @Conv2d(outChannels = 384, kernelSize = 3, padding = 1)
  Layer conv4;

  @ReLU Layer relu4;

  @Conv2d(outChannels = 256, kernelSize = 3, padding = 1)
  Layer conv5;

  @ReLU Layer relu5;

  @MaxPool(kernelSize = 3, stride = 2)
  Layer pool3;

  @Flatten Layer flatten;

  @Linear(inFeatures = 6400, outFeatures = 4096)
  Layer fc1;

  @ReLU Layer relu6;

  @Dropout(0.5)
  Layer drop1;

  @Linear(outFeatures = 4096)
  Layer fc2;

  @ReLU Layer relu7;

  @Dropout(0.5)
  Layer drop2;

  @Linear(outFeatures = 10)
  Layer fc3;
}
