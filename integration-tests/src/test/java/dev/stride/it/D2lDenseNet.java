package dev.stride.it;

import dev.stride.Arg;
import dev.stride.Args;
import dev.stride.AvgPool;
import dev.stride.BatchNorm;
import dev.stride.Block;
import dev.stride.Concat;
import dev.stride.Conv2d;
import dev.stride.Flatten;
import dev.stride.GlobalAvgPool;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.MaxPool;
import dev.stride.Network;
import dev.stride.ReLU;
import dev.stride.Repeat;

/** d2l's DenseNet for Fashion-MNIST at 96 x 96 (chapter 8.7): 758,226 parameters. */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {1, 96, 96})
abstract class D2lDenseNet {
  /**
   * One {@code conv_block} of d2l's DenseBlock: {@code Y = conv(relu(bn(X)))}, then {@code
   * torch.cat((X, Y), dim=1)}. Args: growth rate.
   */
  @Block
  abstract static class DenseLayer {
    @BatchNorm Layer bn;
    @ReLU Layer relu;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1)
    Layer conv;

    @Concat Layer cat;
  }

  /** d2l's {@code transition_block}: halves channels and resolution. Args: out channels. */
  @Block
  abstract static class Transition {
    @BatchNorm Layer bn;
    @ReLU Layer relu;

    @Conv2d(outChannels = Arg.A, kernelSize = 1)
    Layer conv;

    @AvgPool(kernelSize = 2, stride = 2)
    Layer pool;
  }

  @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3)
  Layer conv1;

  @BatchNorm Layer bn1;
  @ReLU Layer relu1;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer pool1;

  @Repeat(4)
  @Args(32)
  DenseLayer dense1;

  @Args(96)
  Transition trans1;

  @Repeat(4)
  @Args(32)
  DenseLayer dense2;

  @Args(112)
  Transition trans2;

  @Repeat(4)
  @Args(32)
  DenseLayer dense3;

  @Args(120)
  Transition trans3;

  @Repeat(4)
  @Args(32)
  DenseLayer dense4;

  @BatchNorm Layer bn;
  @ReLU Layer relu;
  @GlobalAvgPool Layer gap;
  @Flatten Layer flatten;

  @Linear(outFeatures = 10)
  Layer fc;
}
