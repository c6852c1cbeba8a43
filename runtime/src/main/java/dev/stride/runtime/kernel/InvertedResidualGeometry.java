package dev.stride.runtime.kernel;

/**
 * The sizes of one inverted-residual block, MobileNetV2's unit: {@code input (N, C, H, W)} through
 * an optional 1x1 expansion to {@code hidden} channels with ReLU6, a 3x3 depthwise convolution
 * (padding 1, stride {@code stride}) with ReLU6, and a 1x1 projection to {@code (N, OC, OH, OW)},
 * where {@code OH = (H - 1) / stride + 1} and likewise {@code OW}.
 *
 * @param inChannels C
 * @param hiddenChannels channels of the expanded activation; C when there is no expansion
 * @param outChannels OC
 * @param height H
 * @param width W
 * @param stride the depthwise convolution's stride, both ways
 * @param expand whether the block starts with the 1x1 expansion
 */
public record InvertedResidualGeometry(
    int inChannels,
    int hiddenChannels,
    int outChannels,
    int height,
    int width,
    int stride,
    boolean expand) {

  /** Checks that every size is usable and that a block without expansion keeps its channels. */
  public InvertedResidualGeometry {
    Geometry.positive("inChannels", inChannels);
    Geometry.positive("hiddenChannels", hiddenChannels);
    Geometry.positive("outChannels", outChannels);
    Geometry.positive("height", height);
    Geometry.positive("width", width);
    Geometry.positive("stride", stride);
    if (!expand && hiddenChannels != inChannels) {
      throw new IllegalArgumentException(
          "without expansion hiddenChannels = "
              + hiddenChannels
              + " must equal inChannels = "
              + inChannels);
    }
    Geometry.size(hiddenChannels, height, width);
    Geometry.size(inChannels, height, width);
    Geometry.size(outChannels, height, width);
  }

  /** OH. */
  public int outHeight() {
    return (height - 1) / stride + 1;
  }

  /** OW. */
  public int outWidth() {
    return (width - 1) / stride + 1;
  }

  /** Floats in one input sample, {@code C*H*W}. */
  public int inputSize() {
    return inChannels * height * width;
  }

  /** Floats in one output sample, {@code OC*OH*OW}. */
  public int outputSize() {
    return outChannels * outHeight() * outWidth();
  }

  /** The expansion's geometry, {@code (C, H, W) -> (hidden, H, W)}; only when {@link #expand}. */
  public Conv2dGeometry expansion() {
    return new Conv2dGeometry(
        inChannels, height, width, hiddenChannels, height, width, 1, 1, 1, 1, 0, 0, 1, 1, 1);
  }

  /** The depthwise convolution's geometry, {@code (hidden, H, W) -> (hidden, OH, OW)}. */
  public Conv2dGeometry depthwise() {
    return new Conv2dGeometry(
        hiddenChannels,
        height,
        width,
        hiddenChannels,
        outHeight(),
        outWidth(),
        3,
        3,
        stride,
        stride,
        1,
        1,
        1,
        1,
        hiddenChannels);
  }

  /** The projection's geometry, {@code (hidden, OH, OW) -> (OC, OH, OW)}. */
  public Conv2dGeometry projection() {
    int oh = outHeight();
    int ow = outWidth();
    return new Conv2dGeometry(
        hiddenChannels, oh, ow, outChannels, oh, ow, 1, 1, 1, 1, 0, 0, 1, 1, 1);
  }
}
