package dev.stride.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * A network's layer table: the input shape and one fully resolved {@link LayerDef} per layer.
 *
 * <p>Generated classes build theirs once, in a static initializer, with {@link #builder}; each
 * builder call takes the layer's output size as computed (and checked) by the processor.
 */
public final class NetworkDef {
  private final String name;
  private final Shape input;
  private final List<LayerDef> layers;

  private NetworkDef(String name, Shape input, List<LayerDef> layers) {
    this.name = name;
    this.input = input;
    this.layers = List.copyOf(layers);
  }

  /** Starts a table for the spec {@code name} whose samples have shape {@code input}. */
  public static Builder builder(String name, int... input) {
    return new Builder(name, new Shape(input));
  }

  /** The spec's simple name, e.g. {@code AlexNet}. */
  public String name() {
    return name;
  }

  /** The shape of one input sample. */
  public Shape input() {
    return input;
  }

  /** The shape of one output sample. */
  public Shape output() {
    return layers.isEmpty() ? input : layers.get(layers.size() - 1).out();
  }

  /** The layers in forward order. */
  public List<LayerDef> layers() {
    return layers;
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] kernel(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] stride(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {h, w}}, for readable builder calls. */
  public static int[] dilation(int h, int w) {
    return new int[] {h, w};
  }

  /** {@code {top, bottom, left, right}}, for readable builder calls. */
  public static int[] padding(int top, int bottom, int left, int right) {
    return new int[] {top, bottom, left, right};
  }

  /** Appends layers, each taking the previous layer's output as its input. */
  public static final class Builder {
    private final String name;
    private final Shape input;
    private final List<LayerDef> layers = new ArrayList<>();
    private Shape current;

    private Builder(String name, Shape input) {
      this.name = name;
      this.input = input;
      this.current = input;
    }

    private Builder add(LayerDef layer) {
      layers.add(layer);
      current = layer.out();
      return this;
    }

    private Shape spatialInput(String layer) {
      if (current.isFlat()) {
        throw new IllegalArgumentException(layer + " needs a (C, H, W) input, not " + current);
      }
      return current;
    }

    private Shape flatInput(String layer) {
      if (!current.isFlat()) {
        throw new IllegalArgumentException(layer + " needs a flat (F) input, not " + current);
      }
      return current;
    }

    /** A convolution to {@code (outChannels, outH, outW)}. */
    public Builder conv2d(
        String name,
        int outChannels,
        int outH,
        int outW,
        int[] kernel,
        int[] stride,
        int[] padding,
        int[] dilation,
        int groups,
        boolean bias) {
      Shape in = spatialInput(name);
      return add(
          new LayerDef.Conv2d(
              name,
              in,
              new Shape(outChannels, outH, outW),
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3],
              dilation[0],
              dilation[1],
              groups,
              bias));
    }

    /** Max pooling to {@code (C, outH, outW)}. */
    public Builder maxPool(
        String name, int outH, int outW, int[] kernel, int[] stride, int[] padding) {
      Shape in = spatialInput(name);
      return add(
          new LayerDef.MaxPool(
              name,
              in,
              new Shape(in.channels(), outH, outW),
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3]));
    }

    /** Average pooling to {@code (C, outH, outW)}. */
    public Builder avgPool(
        String name,
        int outH,
        int outW,
        int[] kernel,
        int[] stride,
        int[] padding,
        boolean countIncludePad) {
      Shape in = spatialInput(name);
      return add(
          new LayerDef.AvgPool(
              name,
              in,
              new Shape(in.channels(), outH, outW),
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding[0],
              padding[1],
              padding[2],
              padding[3],
              countIncludePad));
    }

    /** Averages each channel to {@code (C, 1, 1)}. */
    public Builder globalAvgPool(String name) {
      Shape in = spatialInput(name);
      return add(new LayerDef.GlobalAvgPool(name, in, new Shape(in.channels(), 1, 1)));
    }

    /** Eval-mode batch norm; the shape is unchanged. */
    public Builder batchNorm(String name, double eps) {
      return add(new LayerDef.BatchNorm(name, current, current, eps));
    }

    /** ReLU; the shape is unchanged. */
    public Builder relu(String name) {
      return add(new LayerDef.ReLU(name, current, current));
    }

    /** Sigmoid; the shape is unchanged. */
    public Builder sigmoid(String name) {
      return add(new LayerDef.Sigmoid(name, current, current));
    }

    /** Tanh; the shape is unchanged. */
    public Builder tanh(String name) {
      return add(new LayerDef.Tanh(name, current, current));
    }

    /** Softmax over the features of a flat input. */
    public Builder softmax(String name) {
      Shape in = flatInput(name);
      return add(new LayerDef.Softmax(name, in, in));
    }

    /** Flattens to {@code (C*H*W)}. */
    public Builder flatten(String name) {
      return add(new LayerDef.Flatten(name, current, new Shape(current.size())));
    }

    /** A fully connected layer to {@code (outFeatures)}. */
    public Builder linear(String name, int outFeatures, boolean bias) {
      Shape in = flatInput(name);
      return add(new LayerDef.Linear(name, in, new Shape(outFeatures), bias));
    }

    /** Dropout with drop probability {@code p}: the identity at inference. */
    public Builder dropout(String name, double p) {
      return add(new LayerDef.Dropout(name, current, current, p));
    }

    /** The finished table. */
    public NetworkDef build() {
      return new NetworkDef(name, input, layers);
    }
  }
}
