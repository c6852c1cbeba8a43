package bench;

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
 * torchvision's resnet152 (60,192,808 parameters): 50 bottleneck blocks, 515 layers, written as
 * four {@code @Repeat} fields. run.sh times it once the processor knows {@code @Block}.
 */
@SuppressWarnings("stride") // as in PyTorch: stride-2 layers on odd sizes drop a row and a column
@Network(input = {3, 224, 224})
abstract class ResNet152 {
  /** torchvision's Bottleneck with the identity shortcut. Args: width, out channels (4 x width). */
  @Block
  abstract static class Bottleneck {
    @Conv2d(outChannels = Arg.A, kernelSize = 1, bias = false)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false)
    Layer conv2;

    @BatchNorm Layer bn2;
    @ReLU Layer relu2;

    @Conv2d(outChannels = Arg.B, kernelSize = 1, bias = false)
    Layer conv3;

    @BatchNorm Layer bn3;
    @Add Layer add;
    @ReLU Layer relu3;
  }

  /** The projection shortcut. Args: out channels, stride. */
  @Block
  abstract static class Projection {
    @Conv2d(outChannels = Arg.A, kernelSize = 1, stride = Arg.B, bias = false)
    Layer conv;

    @BatchNorm Layer bn;
  }

  /** A stage's first Bottleneck: stride on conv2, projection shortcut. Args: width, out, stride. */
  @Block
  abstract static class BottleneckDown {
    @Conv2d(outChannels = Arg.A, kernelSize = 1, bias = false)
    Layer conv1;

    @BatchNorm Layer bn1;
    @ReLU Layer relu1;

    @Conv2d(outChannels = Arg.A, kernelSize = 3, stride = Arg.C, padding = 1, bias = false)
    Layer conv2;

    @BatchNorm Layer bn2;
    @ReLU Layer relu2;

    @Conv2d(outChannels = Arg.B, kernelSize = 1, bias = false)
    Layer conv3;

    @BatchNorm Layer bn3;

    @Shortcut
    @Args({Arg.B, Arg.C})
    Projection downsample;

    @Add Layer add;
    @ReLU Layer relu3;
  }

  @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3, bias = false)
  Layer conv1;

  @BatchNorm Layer bn1;
  @ReLU Layer relu;

  @MaxPool(kernelSize = 3, stride = 2, padding = 1)
  Layer maxpool;

  @Repeat(value = 3, first = BottleneckDown.class)
  @Args({64, 256, 1})
  Bottleneck layer1;

  @Repeat(value = 8, first = BottleneckDown.class)
  @Args({128, 512, 2})
  Bottleneck layer2;

  @Repeat(value = 36, first = BottleneckDown.class)
  @Args({256, 1024, 2})
  Bottleneck layer3;

  @Repeat(value = 3, first = BottleneckDown.class)
  @Args({512, 2048, 2})
  Bottleneck layer4;

  @GlobalAvgPool Layer avgpool;
  @Flatten Layer flatten;

  @Linear(outFeatures = 1000)
  Layer fc;
}
