package dev.stride.it;

import dev.stride.Add;
import dev.stride.Arg;
import dev.stride.Args;
import dev.stride.BatchNorm;
import dev.stride.Block;
import dev.stride.Concat;
import dev.stride.Layer;
import dev.stride.Linear;
import dev.stride.Network;
import dev.stride.ReLU;
import dev.stride.Repeat;
import dev.stride.Shortcut;
import dev.stride.Tanh;

/** Blocks on a flat input: residual, projection-shortcut and concatenating blocks of features. */
@SuppressWarnings("stride") // as in PyTorch: the stride-2 stem drops a row and a column
@Network(input = {32})
abstract class ResidualMlp {
  /** Linear-BN-ReLU-Linear plus the input, then ReLU. Args: width. */
  @Block
  abstract static class MlpBlock {
    @Linear(outFeatures = Arg.A)
    Layer fc1;

    @BatchNorm Layer bn;
    @ReLU Layer relu1;

    @Linear(outFeatures = Arg.A)
    Layer fc2;

    @Add Layer add;
    @ReLU Layer relu2;
  }

  /** To a wider width, the shortcut a bias-free linear projection. Args: width. */
  @Block
  abstract static class MlpWiden {
    @Linear(outFeatures = Arg.A)
    Layer fc1;

    @ReLU Layer relu1;

    @Linear(outFeatures = Arg.A)
    Layer fc2;

    @Shortcut
    @Linear(outFeatures = Arg.A, bias = false)
    Layer proj;

    @Add Layer add;
    @ReLU Layer relu2;
  }

  /** The input's features, then {@code tanh(fc(x))}'s. Args: growth. */
  @Block
  abstract static class MlpDense {
    @Linear(outFeatures = Arg.A)
    Layer fc;

    @Tanh Layer tanh;
    @Concat Layer cat;
  }

  @Linear(outFeatures = 64)
  Layer fcIn;

  @ReLU Layer reluIn;

  @Repeat(2)
  @Args(64)
  MlpBlock blocks;

  @Args(96)
  MlpWiden widen;

  @Args(16)
  MlpDense dense;

  @Linear(outFeatures = 10)
  Layer fcOut;
}
