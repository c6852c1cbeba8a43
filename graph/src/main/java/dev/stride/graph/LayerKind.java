package dev.stride.graph;

import java.util.Arrays;
import java.util.List;

/**
 * What a node computes, with every size resolved: one record per layer kind, each owning its shape
 * rule, its parameter schema (PyTorch's names and layouts), its counts, its summary text and its
 * encoding in the generated table.
 *
 * <p>Encodings are the type followed by space-separated attributes; see each kind's {@link
 * #encode()} and {@link Graph} for the row around it.
 */
public sealed interface LayerKind
    permits Conv2d,
        MaxPool,
        AvgPool,
        GlobalAvgPool,
        BatchNorm,
        ReLU,
        ReLU6,
        Sigmoid,
        Tanh,
        Softmax,
        Flatten,
        Linear,
        Dropout,
        Add,
        Concat {

  /** The kind's name, as the annotation's: {@code Conv2d}. */
  String type();

  /**
   * {@code visitor}'s method for this kind. A stage that treats every kind differently (the
   * runtime's ops, an exporter) implements {@link Visitor}, so that a new kind it lacks is a
   * compile error there rather than a branch that is never taken.
   */
  <R> R accept(Visitor<R> visitor);

  /** One method per layer kind; see {@link #accept}. */
  interface Visitor<R> {
    /** A convolution. */
    R conv2d(Conv2d kind);

    /** Max pooling. */
    R maxPool(MaxPool kind);

    /** Average pooling. */
    R avgPool(AvgPool kind);

    /** Global average pooling. */
    R globalAvgPool(GlobalAvgPool kind);

    /** Batch norm. */
    R batchNorm(BatchNorm kind);

    /** ReLU. */
    R relu(ReLU kind);

    /** ReLU6. */
    R relu6(ReLU6 kind);

    /** Sigmoid. */
    R sigmoid(Sigmoid kind);

    /** Tanh. */
    R tanh(Tanh kind);

    /** Softmax. */
    R softmax(Softmax kind);

    /** Flatten. */
    R flatten(Flatten kind);

    /** A fully connected layer. */
    R linear(Linear kind);

    /** Dropout. */
    R dropout(Dropout kind);

    /** A residual sum. */
    R add(Add kind);

    /** A channel concatenation. */
    R concat(Concat kind);
  }

  /**
   * The output shape for these inputs.
   *
   * @throws IllegalArgumentException if the inputs do not fit (count, rank, sizes)
   */
  Shape output(List<Shape> inputs);

  /** The tensors this node reads from a {@code state_dict()}, in PyTorch's order and layouts. */
  default List<Param> parameters(List<Shape> inputs) {
    return List.of();
  }

  /**
   * The suffixes of tensors PyTorch's {@code state_dict()} holds for this kind beside {@link
   * #parameters}, which inference does not read (batch norm's {@code num_batches_tracked}): a
   * weights file may have them or not.
   */
  default List<String> unreadSuffixes() {
    return List.of();
  }

  /** PyTorch's {@code sum(p.numel())} over the parameters that are not buffers. */
  default long parameterCount(List<Shape> inputs) {
    long n = 0;
    for (Param p : parameters(inputs)) {
      if (!p.buffer()) {
        n = Math.addExact(n, p.shape().size());
      }
    }
    return n;
  }

  /** Multiply-adds per sample; only convolutions and linear layers count any. */
  default long multiplyAdds(List<Shape> inputs, Shape out) {
    return 0;
  }

  /** The summary's text, as PyTorch prints the module with its non-default options. */
  default String describe(List<Shape> inputs) {
    return type();
  }

  /** The table text, read back by {@link #decode}: the type, then every attribute. */
  default String encode() {
    return type();
  }

  /**
   * The kind that {@link #encode()} wrote.
   *
   * @throws IllegalArgumentException naming the problem, for any other text
   */
  static LayerKind decode(String text) {
    List<String> tokens = Arrays.asList(text.strip().split("\\s+"));
    Tokens t = new Tokens(text, tokens.subList(1, tokens.size()));
    LayerKind kind =
        switch (tokens.get(0)) {
          case "Conv2d" -> Conv2d.decode(t);
          case "MaxPool" -> MaxPool.decode(t);
          case "AvgPool" -> AvgPool.decode(t);
          case "GlobalAvgPool" -> new GlobalAvgPool();
          case "BatchNorm" -> new BatchNorm(t.real("eps"));
          case "ReLU" -> new ReLU();
          case "ReLU6" -> new ReLU6();
          case "Sigmoid" -> new Sigmoid();
          case "Tanh" -> new Tanh();
          case "Softmax" -> new Softmax();
          case "Flatten" -> new Flatten();
          case "Linear" -> new Linear(t.positional("out features"), t.either("bias", "nobias"));
          case "Dropout" -> new Dropout(t.real("p"));
          case "Add" -> new Add();
          case "Concat" -> new Concat();
          default -> throw t.error("unknown layer kind '" + tokens.get(0) + "'");
        };
    t.done();
    return kind;
  }
}
