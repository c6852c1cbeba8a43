package dev.stride.it;

import dev.stride.Add;
import dev.stride.Arg;
import dev.stride.Args;
import dev.stride.BatchNorm;
import dev.stride.Block;
import dev.stride.Conv2d;
import dev.stride.Dropout;
import dev.stride.Flatten;
import dev.stride.GlobalAvgPool;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.ReLU6;

/**
 * torchvision's {@code mobilenet_v2()}: 3,504,872 parameters. {@code stem} is {@code features.0},
 * {@code bN} is {@code features.N}, {@code head} is {@code features.18} and {@code fc} is {@code
 * classifier.1}; {@link TorchvisionNames#mobileNetV2()} maps the rest of the names.
 */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {3, 224, 224})
public abstract class MobileNetV2 {
  /**
   * torchvision's Conv2dNormActivation: convolution without bias, BatchNorm, ReLU6. Args: out
   * channels, kernel, stride, padding, groups.
   */
  @Block
  abstract static class ConvBnRelu6 {
    @Conv2d(
        outChannels = Arg.A,
        kernelSize = Arg.B,
        stride = Arg.C,
        padding = Arg.D,
        groups = Arg.E,
        bias = false)
    Layer conv;

    @BatchNorm Layer bn;
    @ReLU6 Layer relu6;
  }

  /**
   * InvertedResidual with expand ratio 6 at stride 1 and equal widths: the input plus the linear
   * bottleneck. Args: hidden channels, out channels.
   */
  @Block
  abstract static class Inverted {
    @Args({Arg.A, 1, 1, 0, 1})
    ConvBnRelu6 expand;

    @Args({Arg.A, 3, 1, 1, Arg.A})
    ConvBnRelu6 depthwise;

    @Conv2d(outChannels = Arg.B, kernelSize = 1, bias = false)
    Layer project;

    @BatchNorm Layer bn;
    @Add Layer add;
  }

  /**
   * InvertedResidual without the residual (stride 2 or a change of width). Args: hidden channels,
   * out channels, stride.
   */
  @Block
  abstract static class InvertedNoResidual {
    @Args({Arg.A, 1, 1, 0, 1})
    ConvBnRelu6 expand;

    @Args({Arg.A, 3, Arg.C, 1, Arg.A})
    ConvBnRelu6 depthwise;

    @Conv2d(outChannels = Arg.B, kernelSize = 1, bias = false)
    Layer project;

    @BatchNorm Layer bn;
  }

  /** features.1, expand ratio 1: no expansion. Args: channels, out channels. */
  @Block
  abstract static class Unexpanded {
    @Args({Arg.A, 3, 1, 1, Arg.A})
    ConvBnRelu6 depthwise;

    @Conv2d(outChannels = Arg.B, kernelSize = 1, bias = false)
    Layer project;

    @BatchNorm Layer bn;
  }

  @Args({32, 3, 2, 1, 1})
  ConvBnRelu6 stem;

  @Args({32, 16})
  Unexpanded b1;

  @Args({96, 24, 2})
  InvertedNoResidual b2;

  @Args({144, 24})
  Inverted b3;

  @Args({144, 32, 2})
  InvertedNoResidual b4;

  @Args({192, 32})
  Inverted b5;

  @Args({192, 32})
  Inverted b6;

  @Args({192, 64, 2})
  InvertedNoResidual b7;

  @Args({384, 64})
  Inverted b8;

  @Args({384, 64})
  Inverted b9;

  @Args({384, 64})
  Inverted b10;

  @Args({384, 96, 1})
  InvertedNoResidual b11;

  @Args({576, 96})
  Inverted b12;

  @Args({576, 96})
  Inverted b13;

  @Args({576, 160, 2})
  InvertedNoResidual b14;

  @Args({960, 160})
  Inverted b15;

  @Args({960, 160})
  Inverted b16;

  @Args({960, 320, 1})
  InvertedNoResidual b17;

  @Args({1280, 1, 1, 0, 1})
  ConvBnRelu6 head;

  @GlobalAvgPool Layer pool;
  @Flatten Layer flatten;

  @Dropout(0.2)
  Layer dropout;

  @Linear(outFeatures = 1000)
  Layer fc;
}
