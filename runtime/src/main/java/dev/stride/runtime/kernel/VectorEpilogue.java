package dev.stride.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The output pass with a residual: {@code dst = act(src + bias + residual)}, ResNet's shortcut Add
 * and its ReLU fused into the layer that precedes them, so the sum is never stored and read back.
 * Layers without a residual keep {@link VectorGemm#biasActivate}.
 *
 * <p>ReLU and ReLU6 are written out in each loop and sigmoid/tanh run afterwards over the stored
 * values ({@link VectorGemm#squash}), for the boxing reasons {@link VectorGemm#biasActivate} gives.
 * The tail is scalar: the sum and the clamps are the same IEEE operations lane by lane, so the bits
 * do not depend on where a value falls.
 */
final class VectorEpilogue {
  private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;
  private static final int L = VectorGemm.L;

  private VectorEpilogue() {}

  /**
   * {@code dst[dstOff + i] = act(src[srcOff + i] + bias + res[resOff + i])} for {@code i < len}:
   * one output channel's run.
   */
  static void biasResidualActivate(
      float[] src,
      int srcOff,
      float[] dst,
      int dstOff,
      int len,
      float bias,
      float[] res,
      int resOff,
      Activation act) {
    int i = 0;
    int bound = SPECIES.loopBound(len);
    if (act == Activation.RELU) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(bias)
                .add(FloatVector.fromArray(SPECIES, res, resOff + i));
        v.blend(0f, v.lt(0f)).intoArray(dst, dstOff + i);
      }
    } else if (act == Activation.RELU6) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(bias)
                .add(FloatVector.fromArray(SPECIES, res, resOff + i));
        v = v.blend(0f, v.lt(0f));
        v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(dst, dstOff + i);
      }
    } else {
      for (; i < bound; i += L) {
        FloatVector.fromArray(SPECIES, src, srcOff + i)
            .add(bias)
            .add(FloatVector.fromArray(SPECIES, res, resOff + i))
            .intoArray(dst, dstOff + i);
      }
    }
    for (; i < len; i++) {
      dst[dstOff + i] = clamp(src[srcOff + i] + bias + res[resOff + i], act);
    }
    VectorGemm.squash(dst, dstOff, len, act);
  }

  /**
   * As above with a bias per element, {@code bias[biasOff + i]} ({@code bias} may be null): the
   * linear layer's output pass.
   */
  static void biasResidualActivate(
      float[] src,
      int srcOff,
      float[] dst,
      int dstOff,
      int len,
      float[] bias,
      int biasOff,
      float[] res,
      int resOff,
      Activation act) {
    if (bias == null) {
      biasResidualActivate(src, srcOff, dst, dstOff, len, 0f, res, resOff, act);
      return;
    }
    int i = 0;
    int bound = SPECIES.loopBound(len);
    if (act == Activation.RELU) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(FloatVector.fromArray(SPECIES, bias, biasOff + i))
                .add(FloatVector.fromArray(SPECIES, res, resOff + i));
        v.blend(0f, v.lt(0f)).intoArray(dst, dstOff + i);
      }
    } else if (act == Activation.RELU6) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(FloatVector.fromArray(SPECIES, bias, biasOff + i))
                .add(FloatVector.fromArray(SPECIES, res, resOff + i));
        v = v.blend(0f, v.lt(0f));
        v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(dst, dstOff + i);
      }
    } else {
      for (; i < bound; i += L) {
        FloatVector.fromArray(SPECIES, src, srcOff + i)
            .add(FloatVector.fromArray(SPECIES, bias, biasOff + i))
            .add(FloatVector.fromArray(SPECIES, res, resOff + i))
            .intoArray(dst, dstOff + i);
      }
    }
    for (; i < len; i++) {
      dst[dstOff + i] = clamp(src[srcOff + i] + bias[biasOff + i] + res[resOff + i], act);
    }
    VectorGemm.squash(dst, dstOff, len, act);
  }

  /**
   * The output pass with or without a residual: {@link VectorGemm#biasActivate} when {@code res} is
   * null.
   */
  static void store(
      float[] src,
      int srcOff,
      float[] dst,
      int dstOff,
      int len,
      float bias,
      float[] res,
      int resOff,
      Activation act) {
    if (res == null) {
      VectorGemm.biasActivate(src, srcOff, dst, dstOff, len, bias, act);
    } else {
      biasResidualActivate(src, srcOff, dst, dstOff, len, bias, res, resOff, act);
    }
  }

  /** As above with a bias per element (may be null): the linear layer's output pass. */
  static void store(
      float[] src,
      int srcOff,
      float[] dst,
      int dstOff,
      int len,
      float[] bias,
      int biasOff,
      float[] res,
      int resOff,
      Activation act) {
    if (res == null) {
      VectorGemm.biasActivate(src, srcOff, dst, dstOff, len, bias, biasOff, act);
    } else {
      biasResidualActivate(src, srcOff, dst, dstOff, len, bias, biasOff, res, resOff, act);
    }
  }

  /** ReLU or ReLU6 of one value; other activations are left to {@link VectorGemm#squash}. */
  private static float clamp(float v, Activation act) {
    return act == Activation.RELU || act == Activation.RELU6 ? act.apply(v) : v;
  }
}
