package dev.stride.example;

import dev.stride.Conv2d;
import dev.stride.Dropout;
import dev.stride.Flatten;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.ReLU;

/**
 * The seed's AlexNet (d2l, chapter 7.1) for 1 x 224 x 224 Fashion-MNIST images, layer for layer as
 * the {@code nn.Sequential} in the notes; the processor infers every {@code inChannels} and checks
 * the one {@code inFeatures} written out.
 *
 * <p>Its strides leave input unused: (224 + 1 + 1 - 11) % 4 = 3 rows and columns before pool1, and
 * (54 - 3) % 2 = 1 before each pooling. The notes accept that, so the class says so instead of the
 * compiler warning about it on every build.
 */
@SuppressWarnings("stride")
@Network(input = {1, 224, 224})
public abstract class AlexNet {
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

  // The number the notes compute by hand: 256 x 5 x 5 = 6400. Written here, it is checked.
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
