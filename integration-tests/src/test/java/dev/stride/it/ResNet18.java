package dev.stride.it;

import dev.stride.Add;
import dev.stride.Arg;
import dev.stride.Args;
import dev.stride.BatchNorm;
import dev.stride.Block;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.GlobalAvgPool;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.ReLU;
import dev.stride.Repeat;
import dev.stride.Shortcut;

/**
 * torchvision's {@code resnet18()}: 11,689,512 parameters. Field paths are torchvision's module
 * names except the projection shortcut, {@code downsample.conv} / {@code downsample.bn} here and
 * {@code downsample.0} / {@code downsample.1} there ({@link TorchvisionNames#resnet()}).
 */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {3, 224, 224})
public abstract class ResNet18 {
  /** torchvision's BasicBlock with the identity shortcut. Args: channels. */
  @Block
  abstract static class Basic {
    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false)
    Layer conv2;

    @BatchNorm Layer bn2;
    @Add Layer add;
    @ReLU Layer relu2;
  }

  /** The downsampling shortcut: 1x1 convolution at stride 2 and BatchNorm. Args: channels. */
  @Block
  abstract static class Projection {
    @Conv2d(outChannels = Arg.A, kernelSize = 1, stride = 2, bias = false)
    Layer conv;

    @BatchNorm Layer bn;
  }

  /** BasicBlock at stride 2 with the projection shortcut. Args: channels. */
  @Block
  abstract static class Down {
    @Conv2d(outChannels = Arg.A, kernelSize = 3, stride = 2, padding = 1, bias = false)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false)
    Layer conv2;

    @BatchNorm Layer bn2;

    @Shortcut
    @Args(Arg.A)
    Projection downsample;

    @Add Layer add;
    @ReLU Layer relu2;
  }

  @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3, bias = false)
  Layer conv1;

  @BatchNorm Layer bn1;
  @ReLU Layer relu;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer maxpool;

  @Repeat(2)
  @Args(64)
  Basic layer1;

  @Repeat(value = 2, first = Down.class)
  @Args(128)
  Basic layer2;

  @Repeat(value = 2, first = Down.class)
  @Args(256)
  Basic layer3;

  @Repeat(value = 2, first = Down.class)
  @Args(512)
  Basic layer4;

  @GlobalAvgPool Layer avgpool;
  @Flatten Layer flatten;

  @Linear(outFeatures = 1000)
  Layer fc;
}
