package dev.stride.processor.model;

import dev.stride.graph.LayerKind;
import java.util.List;

/**
 * One layer field as written: its name, where it was written and its annotation's values; one
 * record per layer kind.
 *
 * <p>Size arrays ({@code kernelSize}, {@code stride}, ...) are kept exactly as written, one, two or
 * four values, so that the checker can report a wrong length.
 */
public sealed interface LayerSpec {
  /** The field name. */
  String name();

  /** The field and its layer annotation. */
  Site site();

  /** The annotation's simple name, e.g. {@code Conv2d}. */
  String annotation();

  /**
   * This layer, checked, as the graph module's record, given its resolved window {@code w} (null
   * for kinds without one): the one place where a spec meets its layer kind.
   */
  LayerKind kind(Window w);

  /** Calls {@code visitor}'s method for this spec's kind. */
  <R> R accept(Visitor<R> visitor);

  /** The input a kind takes: a spatial {@code C x H x W} one only, a flat one only, or either. */
  enum Input {
    SPATIAL,
    FLAT,
    ANY
  }

  /** The input this kind takes. */
  default Input input() {
    return Input.ANY;
  }

  /** Whether this is a block's merge ({@code @Add} or {@code @Concat}), which takes two inputs. */
  default boolean merges() {
    return false;
  }

  /**
   * What a stage does with each kind of spec: one method per kind (max and average pooling share
   * their checks), so that a stage which forgets a kind does not compile instead of treating it as
   * some other kind.
   */
  interface Visitor<R> {
    /** {@code @Conv2d}. */
    R conv2d(Conv2d spec);

    /** {@code @MaxPool} and {@code @AvgPool}. */
    R pooling(Pooling spec);

    /** {@code @GlobalAvgPool}. */
    R globalAvgPool(GlobalAvgPool spec);

    /** {@code @BatchNorm}. */
    R batchNorm(BatchNorm spec);

    /** {@code @ReLU}, {@code @ReLU6}, {@code @Sigmoid} and {@code @Tanh}: the shape is kept. */
    R elementwise(LayerSpec spec);

    /** {@code @Add}. */
    R add(Add spec);

    /** {@code @Concat}. */
    R concat(Concat spec);

    /** {@code @Softmax}. */
    R softmax(Softmax spec);

    /** {@code @Flatten}. */
    R flatten(Flatten spec);

    /** {@code @Linear}. */
    R linear(Linear spec);

    /** {@code @Dropout}. */
    R dropout(Dropout spec);

    /** A layer annotation javac could not read. */
    R unreadable(Unreadable spec);
  }

  /** {@code @Conv2d}. */
  record Conv2d(
      String name,
      Site site,
      int outChannels,
      List<Integer> kernelSize,
      List<Integer> stride,
      List<Integer> padding,
      boolean same,
      List<Integer> dilation,
      int groups,
      boolean bias,
      int inChannels)
      implements LayerSpec {
    /** Copies the lists. */
    public Conv2d {
      kernelSize = List.copyOf(kernelSize);
      stride = List.copyOf(stride);
      padding = List.copyOf(padding);
      dilation = List.copyOf(dilation);
    }

    @Override
    public String annotation() {
      return "Conv2d";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.conv2d(this);
    }

    @Override
    public Input input() {
      return Input.SPATIAL;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Conv2d(
          outChannels,
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          w.dilationH(),
          w.dilationW(),
          groups,
          bias,
          same);
    }
  }

  /** What max and average pooling share, so that one check serves both. */
  sealed interface Pooling extends LayerSpec {
    /** The window, one value or {@code {h, w}}. */
    List<Integer> kernelSize();

    /** The stride as written; empty means the kernel size. */
    List<Integer> stride();

    /** The padding as written. */
    List<Integer> padding();

    /** Whether the output size rounds up. */
    boolean ceilMode();

    @Override
    default Input input() {
      return Input.SPATIAL;
    }
  }

  /** {@code @MaxPool}. */
  record MaxPool(
      String name,
      Site site,
      List<Integer> kernelSize,
      List<Integer> stride,
      List<Integer> padding,
      boolean ceilMode)
      implements Pooling {
    /** Copies the lists. */
    public MaxPool {
      kernelSize = List.copyOf(kernelSize);
      stride = List.copyOf(stride);
      padding = List.copyOf(padding);
    }

    @Override
    public String annotation() {
      return "MaxPool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pooling(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.MaxPool(
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          ceilMode);
    }
  }

  /** {@code @AvgPool}. */
  record AvgPool(
      String name,
      Site site,
      List<Integer> kernelSize,
      List<Integer> stride,
      List<Integer> padding,
      boolean ceilMode,
      boolean countIncludePad)
      implements Pooling {
    /** Copies the lists. */
    public AvgPool {
      kernelSize = List.copyOf(kernelSize);
      stride = List.copyOf(stride);
      padding = List.copyOf(padding);
    }

    @Override
    public String annotation() {
      return "AvgPool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.pooling(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.AvgPool(
          w.kernelH(),
          w.kernelW(),
          w.strideH(),
          w.strideW(),
          w.padTop(),
          w.padBottom(),
          w.padLeft(),
          w.padRight(),
          ceilMode,
          countIncludePad);
    }
  }

  /** {@code @GlobalAvgPool}. */
  record GlobalAvgPool(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "GlobalAvgPool";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.globalAvgPool(this);
    }

    @Override
    public Input input() {
      return Input.SPATIAL;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.GlobalAvgPool();
    }
  }

  /** {@code @BatchNorm}. */
  record BatchNorm(String name, Site site, double eps) implements LayerSpec {
    @Override
    public String annotation() {
      return "BatchNorm";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.batchNorm(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.BatchNorm(eps);
    }
  }

  /** {@code @ReLU}. */
  record ReLU(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "ReLU";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.elementwise(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.ReLU();
    }
  }

  /** {@code @ReLU6}. */
  record ReLU6(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "ReLU6";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.elementwise(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.ReLU6();
    }
  }

  /** {@code @Add}: the main chain plus the block's shortcut. */
  record Add(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Add";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.add(this);
    }

    @Override
    public boolean merges() {
      return true;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Add();
    }
  }

  /**
   * {@code @Concat}: the block's shortcut and main chain along channels; also the node that joins a
   * {@code @Parallel} block's branches.
   */
  record Concat(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Concat";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.concat(this);
    }

    @Override
    public boolean merges() {
      return true;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Concat();
    }
  }

  /** {@code @Sigmoid}. */
  record Sigmoid(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Sigmoid";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.elementwise(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Sigmoid();
    }
  }

  /** {@code @Tanh}. */
  record Tanh(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Tanh";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.elementwise(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Tanh();
    }
  }

  /** {@code @Softmax}. */
  record Softmax(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Softmax";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.softmax(this);
    }

    @Override
    public Input input() {
      return Input.FLAT;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Softmax();
    }
  }

  /** {@code @Flatten}. */
  record Flatten(String name, Site site) implements LayerSpec {
    @Override
    public String annotation() {
      return "Flatten";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.flatten(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Flatten();
    }
  }

  /** {@code @Linear}. */
  record Linear(String name, Site site, int outFeatures, int inFeatures, boolean bias)
      implements LayerSpec {
    @Override
    public String annotation() {
      return "Linear";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.linear(this);
    }

    @Override
    public Input input() {
      return Input.FLAT;
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Linear(outFeatures, bias);
    }
  }

  /** {@code @Dropout}. */
  record Dropout(String name, Site site, double p) implements LayerSpec {
    @Override
    public String annotation() {
      return "Dropout";
    }

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dropout(this);
    }

    @Override
    public LayerKind kind(Window w) {
      return new dev.stride.graph.Dropout(p);
    }
  }

  /**
   * A layer annotation whose values javac could not give us (a missing required attribute, a
   * non-constant or mistyped value): javac reports those itself, so the checker stays silent and
   * only forgets the shape, unless the layer cannot change it.
   */
  record Unreadable(String name, Site site, String annotation, boolean keepsShape)
      implements LayerSpec {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.unreadable(this);
    }

    @Override
    public LayerKind kind(Window w) {
      throw new IllegalStateException("an unreadable @" + annotation + " passed the checks");
    }
  }
}
