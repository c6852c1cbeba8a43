package dev.stride.runtime.kernel;

/**
 * The sizes of one convolution, {@code input (N, C, H, W), weight (OC, C/groups, KH, KW) -> (N, OC,
 * OH, OW)}, with the output size already resolved by the caller.
 *
 * <p>Bottom and right padding need not be given: they only decide the output size, which is
 * explicit here; any output cell whose window leaves the input reads zeros.
 *
 * @param inChannels C
 * @param inHeight H
 * @param inWidth W
 * @param outChannels OC
 * @param outHeight OH
 * @param outWidth OW
 * @param kernelHeight KH
 * @param kernelWidth KW
 * @param strideHeight vertical stride
 * @param strideWidth horizontal stride
 * @param padTop zero rows above the input
 * @param padLeft zero columns left of the input
 * @param dilationHeight vertical spacing of kernel taps
 * @param dilationWidth horizontal spacing of kernel taps
 * @param groups channel groups; divides both C and OC
 */
public record Conv2dGeometry(
    int inChannels,
    int inHeight,
    int inWidth,
    int outChannels,
    int outHeight,
    int outWidth,
    int kernelHeight,
    int kernelWidth,
    int strideHeight,
    int strideWidth,
    int padTop,
    int padLeft,
    int dilationHeight,
    int dilationWidth,
    int groups) {

  /** Checks that every size is usable, so kernels can index without further checks. */
  public Conv2dGeometry {
    Geometry.positive("inChannels", inChannels);
    Geometry.positive("inHeight", inHeight);
    Geometry.positive("inWidth", inWidth);
    Geometry.positive("outChannels", outChannels);
    Geometry.positive("outHeight", outHeight);
    Geometry.positive("outWidth", outWidth);
    Geometry.positive("kernelHeight", kernelHeight);
    Geometry.positive("kernelWidth", kernelWidth);
    Geometry.positive("strideHeight", strideHeight);
    Geometry.positive("strideWidth", strideWidth);
    Geometry.nonNegative("padTop", padTop);
    Geometry.nonNegative("padLeft", padLeft);
    Geometry.positive("dilationHeight", dilationHeight);
    Geometry.positive("dilationWidth", dilationWidth);
    Geometry.positive("groups", groups);
    if (inChannels % groups != 0 || outChannels % groups != 0) {
      throw new IllegalArgumentException(
          "groups = "
              + groups
              + " must divide both inChannels = "
              + inChannels
              + " and outChannels = "
              + outChannels);
    }
    Geometry.size(inChannels, inHeight, inWidth);
    Geometry.size(outChannels, outHeight, outWidth);
    Geometry.size(outChannels, inChannels / groups, kernelHeight * (long) kernelWidth);
  }

  /** Floats in one input sample, {@code C*H*W}. */
  public int inputSize() {
    return inChannels * inHeight * inWidth;
  }

  /** Floats in one output sample, {@code OC*OH*OW}. */
  public int outputSize() {
    return outChannels * outHeight * outWidth;
  }

  /** Floats in the weight, {@code OC*(C/groups)*KH*KW}. */
  public int weightSize() {
    return outChannels * (inChannels / groups) * kernelHeight * kernelWidth;
  }
}
