package dev.stride.example;

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
 * d2l's ResNet-18 (chapter 8.6) for Fashion-MNIST resized to 1 x 96 x 96: 11,178,378 parameters,
 * two residual blocks per stage, the first of stages 3 to 5 halving the resolution with a 1x1
 * convolution on its shortcut. d2l's {@code nn.Sequential(b1, ..., b5, pool, flatten, linear)}
 * numbers its keys by position ({@code 0.0.weight}, {@code 1.0.conv1.weight}, {@code 7.weight}),
 * which {@code WeightNames.fields().replace("^conv1\\.", "0.0.").replace("^bn1\\.", "0.1.")
 * .replace("^b2\\.", "1.")}, the same for b3 to b5 ({@code 2.} to {@code 4.}) and {@code
 * .replace("^fc\\.", "7.")} map.
 */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {1, 96, 96})
public abstract class ResNet18 {
  /** d2l's {@code Residual(num_channels)}: identity shortcut. Args: channels. */
  @Block
  abstract static class Residual {
    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1)
    Layer conv2;

    @BatchNorm Layer bn2;
    @Add Layer add;
    @ReLU Layer relu2;
  }

  /** {@code Residual(num_channels, use_1x1conv=True, strides=2)}. Args: channels. */
  @Block
  abstract static class Residual1x1 {
    @Conv2d(outChannels = Arg.A, kernelSize = 3, stride = 2, padding = 1)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1)
    Layer conv2;

    @BatchNorm Layer bn2;

    @Shortcut
    @Conv2d(outChannels = Arg.A, kernelSize = 1, stride = 2)
    Layer conv3;

    @Add Layer add;
    @ReLU Layer relu2;
  }

  @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3)
  Layer conv1;

  @BatchNorm Layer bn1;
  @ReLU Layer relu;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool;

  @Repeat(2)
  @Args(64)
  Residual b2;

  @Repeat(value = 2, first = Residual1x1.class)
  @Args(128)
  Residual b3;

  @Repeat(value = 2, first = Residual1x1.class)
  @Args(256)
  Residual b4;

  @Repeat(value = 2, first = Residual1x1.class)
  @Args(512)
  Residual b5;

  @GlobalAvgPool Layer gap;
  @Flatten Layer flatten;

  @Linear(outFeatures = 10)
  Layer fc;
}
