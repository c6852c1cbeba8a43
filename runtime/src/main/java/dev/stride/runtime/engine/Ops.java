package dev.stride.runtime.engine;

import dev.stride.graph.Add;
import dev.stride.graph.AvgPool;
import dev.stride.graph.BatchNorm;
import dev.stride.graph.Concat;
import dev.stride.graph.Conv2d;
import dev.stride.graph.Dropout;
import dev.stride.graph.Flatten;
import dev.stride.graph.GlobalAvgPool;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Linear;
import dev.stride.graph.MaxPool;
import dev.stride.graph.ReLU;
import dev.stride.graph.ReLU6;
import dev.stride.graph.Sigmoid;
import dev.stride.graph.Softmax;
import dev.stride.graph.Tanh;
import dev.stride.runtime.kernel.Activation;

/**
 * The op of each layer kind: the one place that pairs a kind with its runtime class. A visitor, so
 * that a kind added to the graph module without an op here does not compile.
 */
final class Ops implements LayerKind.Visitor<Op> {
  private static final Ops OPS = new Ops();

  private Ops() {}

  /** The op that runs a node of {@code kind}. */
  static Op of(LayerKind kind) {
    return kind.accept(OPS);
  }

  @Override
  public Op conv2d(Conv2d kind) {
    return new Conv2dOp(kind);
  }

  @Override
  public Op maxPool(MaxPool kind) {
    return new MaxPoolOp(kind);
  }

  @Override
  public Op avgPool(AvgPool kind) {
    return new AvgPoolOp(kind);
  }

  @Override
  public Op globalAvgPool(GlobalAvgPool kind) {
    return new GlobalAvgPoolOp();
  }

  @Override
  public Op batchNorm(BatchNorm kind) {
    return new BatchNormOp(kind);
  }

  @Override
  public Op relu(ReLU kind) {
    return new ActivationOp(Activation.RELU);
  }

  @Override
  public Op relu6(ReLU6 kind) {
    return new ActivationOp(Activation.RELU6);
  }

  @Override
  public Op sigmoid(Sigmoid kind) {
    return new ActivationOp(Activation.SIGMOID);
  }

  @Override
  public Op tanh(Tanh kind) {
    return new ActivationOp(Activation.TANH);
  }

  @Override
  public Op softmax(Softmax kind) {
    return new SoftmaxOp();
  }

  @Override
  public Op flatten(Flatten kind) {
    return new FlattenOp();
  }

  @Override
  public Op linear(Linear kind) {
    return new LinearOp();
  }

  @Override
  public Op dropout(Dropout kind) {
    return new DropoutOp();
  }

  @Override
  public Op add(Add kind) {
    return new AddOp();
  }

  @Override
  public Op concat(Concat kind) {
    return new ConcatOp();
  }
}
