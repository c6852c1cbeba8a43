package dev.stride.it;

import dev.stride.Arg;
import dev.stride.Args;
import dev.stride.Block;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.GlobalAvgPool;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.Parallel;
import dev.stride.ReLU;

/** d2l's GoogLeNet for Fashion-MNIST at 96 x 96 (chapter 8.4): 5,977,530 parameters. */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {1, 96, 96})
abstract class D2lGoogLeNet {
  /** Inception's path 1: a 1x1 convolution. Args: channels. */
  @Block
  abstract static class Path1 {
    @Conv2d(outChannels = Arg.A, kernelSize = 1)
    Layer conv;

    @ReLU Layer relu;
  }

  /** Paths 2 and 3: a 1x1 reduction, then a k x k convolution. Args: reduced, out, kernel, pad. */
  @Block
  abstract static class Reduced {
    @Conv2d(outChannels = Arg.A, kernelSize = 1)
    Layer conv1;

    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.B, kernelSize = Arg.C, padding = Arg.D)
    Layer conv2;

    @ReLU Layer relu2;
  }

  /** Path 4: 3x3 max pooling at stride 1, then a 1x1 convolution. Args: channels. */
  @Block
  abstract static class PoolPath {
    @MaxPool(kernelSize = 3, stride = 1, padding = 1)
    Layer pool;

    @Conv2d(outChannels = Arg.A, kernelSize = 1)
    Layer conv;

    @ReLU Layer relu;
  }

  /**
   * d2l's {@code Inception(c1, c2, c3, c4)}: four paths on the same input, concatenated along
   * channels. Args: c1, c2[0], c2[1], c3[0], c3[1], c4.
   */
  @Block
  @Parallel
  abstract static class Inception {
    @Args(Arg.A)
    Path1 p1;

    @Args({Arg.B, Arg.C, 3, 1})
    Reduced p2;

    @Args({Arg.D, Arg.E, 5, 2})
    Reduced p3;

    @Args(Arg.F)
    PoolPath p4;
  }

  @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3)
  Layer conv1;

  @ReLU Layer relu1;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool1;

  @Conv2d(outChannels = 64, kernelSize = 1)
  Layer conv2;

  @ReLU Layer relu2;

  @Conv2d(outChannels = 192, kernelSize = 3, padding = 1)
  Layer conv3;

  @ReLU Layer relu3;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool2;

  @Args({64, 96, 128, 16, 32, 32})
  Inception b3a;

  @Args({128, 128, 192, 32, 96, 64})
  Inception b3b;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool3;

  @Args({192, 96, 208, 16, 48, 64})
  Inception b4a;

  @Args({160, 112, 224, 24, 64, 64})
  Inception b4b;

  @Args({128, 128, 256, 24, 64, 64})
  Inception b4c;

  @Args({112, 144, 288, 32, 64, 64})
  Inception b4d;

  @Args({256, 160, 320, 32, 128, 128})
  Inception b4e;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool4;

  @Args({256, 160, 320, 32, 128, 128})
  Inception b5a;

  @Args({384, 192, 384, 48, 128, 128})
  Inception b5b;

  @GlobalAvgPool Layer gap;
  @Flatten Layer flatten;

  @Linear(outFeatures = 10)
  Layer fc;
}
