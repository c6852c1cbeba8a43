package dev.stride.runtime.kernel;

/**
 * The sizes of one 2-D pooling, {@code (N, C, H, W) -> (N, C, OH, OW)}, with the output size
 * already resolved by the caller (floor or ceil mode alike).
 *
 * @param channels C
 * @param inHeight H
 * @param inWidth W
 * @param outHeight OH
 * @param outWidth OW
 * @param kernelHeight KH
 * @param kernelWidth KW
 * @param strideHeight vertical stride
 * @param strideWidth horizontal stride
 * @param padTop padding rows above the input
 * @param padBottom padding rows below the input; average pooling counts them in its divisor
 * @param padLeft padding columns left of the input
 * @param padRight padding columns right of the input; average pooling counts them in its divisor
 */
public record Pool2dGeometry(
    int channels,
    int inHeight,
    int inWidth,
    int outHeight,
    int outWidth,
    int kernelHeight,
    int kernelWidth,
    int strideHeight,
    int strideWidth,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight) {

  /** Checks that every size is usable, so kernels can index without further checks. */
  public Pool2dGeometry {
    Geometry.positive("channels", channels);
    Geometry.positive("inHeight", inHeight);
    Geometry.positive("inWidth", inWidth);
    Geometry.positive("outHeight", outHeight);
    Geometry.positive("outWidth", outWidth);
    Geometry.positive("kernelHeight", kernelHeight);
    Geometry.positive("kernelWidth", kernelWidth);
    Geometry.positive("strideHeight", strideHeight);
    Geometry.positive("strideWidth", strideWidth);
    Geometry.nonNegative("padTop", padTop);
    Geometry.nonNegative("padBottom", padBottom);
    Geometry.nonNegative("padLeft", padLeft);
    Geometry.nonNegative("padRight", padRight);
    Geometry.size(channels, inHeight, inWidth);
    Geometry.size(channels, outHeight, outWidth);
  }

  /** Floats in one input sample, {@code C*H*W}. */
  public int inputSize() {
    return channels * inHeight * inWidth;
  }

  /** Floats in one output sample, {@code C*OH*OW}. */
  public int outputSize() {
    return channels * outHeight * outWidth;
  }
}
