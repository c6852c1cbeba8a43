package shop;

import dev.stride.*;

@Network(input = {1, 28, 28})              // (C, H, W) of one sample
abstract class LeNet {                     // d2l's LeNet
  @Conv2d(outChannels = 6, kernelSize = 5, padding = 2) Layer conv1;
  @Sigmoid Layer act1;
  @AvgPool(kernelSize = 2, stride = 2) Layer pool1;
  @Conv2d(outChannels = 16, kernelSize = 5) Layer conv2;   // inChannels = 6 inferred
  @Sigmoid Layer act2;
  @AvgPool(kernelSize = 2, stride = 2) Layer pool2;
  @Flatten Layer flatten;                                   // [16, 5, 5] -> [400]
  @Linear(outFeatures = 120) Layer fc1;                     // inFeatures = 400 inferred
  @Sigmoid Layer act3;
  @Linear(outFeatures = 84) Layer fc2;
  @Sigmoid Layer act4;
  @Linear(outFeatures = 10) Layer fc3;
}
