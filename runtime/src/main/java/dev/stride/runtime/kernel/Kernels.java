package dev.stride.runtime.kernel;

/**
 * The numeric operations of a forward pass over a batch of {@code n} samples stored back to back in
 * PyTorch's contiguous layouts.
 *
 * <p>Arrays may be longer than needed (callers reuse buffers sized for the largest layer); a kernel
 * reads and writes only the prefix its sizes describe. Out-of-place kernels never read {@code
 * output} and never write {@code input}; the two must be different arrays. Implementations are
 * stateless and safe to call from several threads at once.
 */
public interface Kernels {
  /** A short name for logs and benchmarks, e.g. {@code scalar}. */
  String name();

  /**
   * Convolution: {@code input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) or null -> output
   * (N, OC, OH, OW)}, zero padding.
   */
  void conv2d(float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output);

  /**
   * Max pooling: {@code (N, C, H, W) -> (N, C, OH, OW)}; padded cells never win, a NaN in a window
   * wins as in PyTorch, and a window with no input cell gives {@code -inf}.
   */
  void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output);

  /**
   * Average pooling: {@code (N, C, H, W) -> (N, C, OH, OW)} with PyTorch's divisor: the window
   * clipped to the padded input when {@code countIncludePad}, else clipped to the input itself.
   */
  void avgPool2d(float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output);

  /** Global average pooling: {@code (N, C, S) -> (N, C)}, where S is the flattened H*W. */
  void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output);

  /**
   * Eval-mode batch norm in place: {@code x (N, C, S)}, each of {@code mean, var, weight, bias}
   * {@code (C)}; {@code x = (x - mean) / sqrt(var + eps) * weight + bias}. A flat {@code (N, F)}
   * input is {@code (N, F, 1)}.
   */
  void batchNorm(
      float[] x,
      int n,
      int channels,
      int spatial,
      float[] mean,
      float[] var,
      float[] weight,
      float[] bias,
      double eps);

  /** {@code x[i] = max(x[i], 0)} for {@code i < length}, in place; NaN stays NaN. */
  void relu(float[] x, int length);

  /**
   * {@code x[i] = min(max(x[i], 0), 6)} for {@code i < length}, in place; NaN stays NaN. The
   * default is {@link ScalarKernels}'.
   */
  default void relu6(float[] x, int length) {
    ScalarKernels.INSTANCE.relu6(x, length);
  }

  /**
   * Elementwise sum with an activation, {@code out[i] = act(a[i] + b[i])} for {@code i < length}: a
   * residual Add that could not be fused into a layer's output pass. {@code out} may be {@code a}
   * or {@code b}. The default is {@link ScalarKernels}'.
   */
  default void add(float[] a, float[] b, float[] out, int length, Activation act) {
    ScalarKernels.INSTANCE.add(a, b, out, length, act);
  }

  /**
   * Copies {@code src (N, channels, spatial)} into channels {@code [dstOffset, dstOffset +
   * channels)} of {@code dst (N, dstChannels, spatial)}, leaving its other channels: a Concat
   * operand that could not be written in place. The default is {@link ScalarKernels}'.
   */
  default void copyChannels(
      float[] src, int n, int channels, int spatial, float[] dst, int dstOffset, int dstChannels) {
    ScalarKernels.INSTANCE.copyChannels(src, n, channels, spatial, dst, dstOffset, dstChannels);
  }

  /** {@code x[i] = 1 / (1 + exp(-x[i]))} for {@code i < length}, in place. */
  void sigmoid(float[] x, int length);

  /** {@code x[i] = tanh(x[i])} for {@code i < length}, in place. */
  void tanh(float[] x, int length);

  /** Softmax over the features of each row of {@code x (N, F)}, in place. */
  void softmax(float[] x, int n, int features);

  /** Fully connected: {@code input (N, F), weight (OF, F), bias (OF) or null -> output (N, OF)}. */
  void linear(
      float[] input,
      int n,
      int inFeatures,
      float[] weight,
      float[] bias,
      int outFeatures,
      float[] output);

  /**
   * A convolution with its weights prepared once; its output pass adds {@code bias} (may be null)
   * and applies {@code activation}. The arrays are not modified and may be kept.
   *
   * <p>The default runs {@link #conv2d} and then the activation ({@link PreparedLayer#unfused});
   * fast implementations pack the weights here.
   */
  default PreparedLayer prepareConv2d(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    return PreparedLayer.unfused(
        this,
        g.outChannels(),
        g.outHeight() * g.outWidth(),
        activation,
        (input, n, output) -> conv2d(input, n, g, weight, bias, output));
  }

  /**
   * An inverted-residual block ({@link InvertedResidualGeometry}) as one layer, its BatchNorms
   * already folded into the weights: {@code expandWeight (hidden, C)} (null without expansion),
   * {@code depthwiseWeight (hidden, 1, 3, 3)}, {@code projectWeight (OC, hidden)}, each bias may be
   * null; its slice-and-residual {@code run} adds the block's shortcut. Null when this
   * implementation runs such a block as its three layers, which the default (and the scalar
   * reference) always does. The arrays are not modified and may be kept.
   */
  default PreparedLayer prepareInvertedResidual(
      InvertedResidualGeometry g,
      float[] expandWeight,
      float[] expandBias,
      float[] depthwiseWeight,
      float[] depthwiseBias,
      float[] projectWeight,
      float[] projectBias) {
    return null;
  }

  /**
   * A fully connected layer, {@code input (N, F), weight (OF, F) -> (N, OF)}, with its weights
   * prepared once; its output pass adds {@code bias} (may be null) and applies {@code activation}.
   */
  default PreparedLayer prepareLinear(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return PreparedLayer.unfused(
        this,
        outFeatures,
        1,
        activation,
        (input, n, output) -> linear(input, n, inFeatures, weight, bias, outFeatures, output));
  }

  /**
   * As {@link #prepareLinear}, with {@code weight} handed over: a layer that {@link
   * PreparedLayer#rebuildsWeight rebuilds its weight} may reuse the array for its own layout, so
   * the caller must not read it again then. A large layer is so never held twice while it is
   * prepared. The default prepares as {@link #prepareLinear}.
   */
  default PreparedLayer prepareLinearHandedOver(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return prepareLinear(inFeatures, outFeatures, weight, bias, activation);
  }
}
