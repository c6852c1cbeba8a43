package dev.stride.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API grouped convolution with few input channels per group, depthwise above all
 * (MobileNetV2's 3 x 3, {@code groups == C}, any channel multiplier): {@code input (N, C, H, W),
 * weight (OC, C/g, KH, KW), bias (OC) -> (N, OC, OH, OW)}, computed directly, one output channel at
 * a time.
 *
 * <p>The GEMM path does not suit these layers: a group's GEMM has {@code OC/g} rows (1 for
 * depthwise, so 7 of the 8-row panel's rows are zeros) and {@code K = C/g * KH * KW} (9), so
 * packing im2col panels costs more than the few FMAs they feed. Here each {@code (sample, group)}
 * unit first copies its input channels into zero-padded planes, split into {@code sh x sw} phase
 * planes by row and column remainder when strided (as {@code VectorConvolution}'s wide layers do),
 * so that every tap of every output row reads consecutive floats. Output positions are then {@code
 * oy * rowW + ox} of a phase plane (with {@code rowW - OW} unused columns per row), tap {@code k}
 * of them is the plane at offset {@code kOff[k]}, and {@link #kernel} computes {@link #COLUMNS}
 * positions per step straight from the planes, {@code C/g * KH * KW} broadcast FMAs on each of its
 * 4 vectors. The output pass (bias, residual, activation) runs per band of rows while it is in L1,
 * then each row's first {@code OW} columns go to the output.
 */
final class VectorDepthwise {
  private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;
  private static final int L = VectorGemm.L;

  /**
   * Positions per kernel step: four vectors, four independent FMA chains, enough to cover the FMA
   * latency while each tap's weight is broadcast once for all of them.
   */
  static final int COLUMNS = 4 * L;

  /**
   * Floats of output positions per band: the band's sums (8 KB) stay in L1 between the kernel and
   * the output pass.
   */
  static final int BAND = 2048;

  /**
   * The most input channels per group this path takes: every input float loaded feeds one FMA, so
   * it is bound by loads, while the GEMM reuses each loaded float for 8 rows; from about this many
   * channels per group (K = 144 for 3 x 3) the GEMM's packing is paid back.
   */
  static final int MAX_CHANNELS_PER_GROUP = 16;

  /**
   * {@code -Dstride.depthwise=false} turns this path off (it is on unless the property says
   * otherwise); grouped convolutions then take the im2col GEMM.
   */
  static final String PROPERTY = "stride.depthwise";

  private static final boolean ENABLED = enabled(System.getProperty(PROPERTY));

  private VectorDepthwise() {}

  static boolean enabled(String property) {
    return property == null || Boolean.parseBoolean(property);
  }

  /**
   * Whether the vector kernels run {@code g} here: grouped, with few input channels per group, and
   * the path not switched off by {@link #PROPERTY}.
   */
  static boolean suits(Conv2dGeometry g) {
    return ENABLED && g.groups() > 1 && g.inChannels() / g.groups() <= MAX_CHANNELS_PER_GROUP;
  }

  /**
   * The layer for {@code g} (any geometry; {@link #suits} says when it is the fastest), adding
   * {@code bias (OC)} (may be null) and applying {@code activation} in its output pass.
   */
  static PreparedLayer prepare(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    return new Layer(g, weight, bias, activation);
  }

  /**
   * {@code c[cOff + j] = sum_k w[wOff + k] * pad[base + kOff[k] + j]} for {@code j <} {@link
   * #COLUMNS}.
   */
  static void kernel(
      float[] w, int wOff, float[] pad, int base, int[] kOff, int k, float[] c, int cOff) {
    tile(w, wOff, pad, base, kOff, k, false, 0f, c, cOff);
  }

  /**
   * {@link #kernel}, then {@code bias} and ReLU6 on the four vectors before they are stored: the
   * same sums and the same vector operations as {@link VectorGemm#biasActivate} after it, without
   * that pass's second load and store of each sum (the inverted-residual block's depthwise stage).
   */
  static void kernelRelu6(
      float[] w,
      int wOff,
      float[] pad,
      int base,
      int[] kOff,
      int k,
      float bias,
      float[] c,
      int cOff) {
    tile(w, wOff, pad, base, kOff, k, true, bias, c, cOff);
  }

  /**
   * The sums of {@link #kernel}, stored as they are or, with {@code relu6}, plus {@code bias} and
   * clamped to [0, 6]: one loop for both, the choice taken once per tile.
   */
  private static void tile(
      float[] w,
      int wOff,
      float[] pad,
      int base,
      int[] kOff,
      int k,
      boolean relu6,
      float bias,
      float[] c,
      int cOff) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    for (int t = 0; t < k; t++) {
      int p = base + kOff[t];
      FloatVector wv = FloatVector.broadcast(SPECIES, w[wOff + t]);
      a0 = FloatVector.fromArray(SPECIES, pad, p).fma(wv, a0);
      a1 = FloatVector.fromArray(SPECIES, pad, p + L).fma(wv, a1);
      a2 = FloatVector.fromArray(SPECIES, pad, p + 2 * L).fma(wv, a2);
      a3 = FloatVector.fromArray(SPECIES, pad, p + 3 * L).fma(wv, a3);
    }
    if (!relu6) {
      a0.intoArray(c, cOff);
      a1.intoArray(c, cOff + L);
      a2.intoArray(c, cOff + 2 * L);
      a3.intoArray(c, cOff + 3 * L);
      return;
    }
    FloatVector v = a0.add(bias);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, cOff);
    v = a1.add(bias);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, cOff + L);
    v = a2.add(bias);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, cOff + 2 * L);
    v = a3.add(bias);
    v = v.blend(0f, v.lt(0f));
    v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(c, cOff + 3 * L);
  }

  private static final class Layer implements PreparedLayer {
    private final Conv2dGeometry g;
    private final float[] weight;
    private final float[] bias;
    private final Activation activation;
    private final int groups;
    private final int channelsPerGroup;
    private final int outPerGroup;
    private final int k;

    /** Rows and columns of one phase plane; see the class comment. */
    private final int rowH;

    private final int rowW;
    private final int[] kOff;

    /** Floats of one unit's phase planes, and the zeros after them that the last steps read. */
    private final int planes;

    private final int slack;

    /** Output rows per band; see {@link #BAND}. */
    private final int bandRows;

    Layer(Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
      if (weight.length < g.weightSize()) {
        throw new IllegalArgumentException(
            "weight must have " + g.weightSize() + " floats, got " + weight.length);
      }
      this.g = g;
      this.weight = java.util.Arrays.copyOf(weight, g.weightSize());
      this.bias = bias == null ? null : bias.clone();
      this.activation = activation;
      this.groups = g.groups();
      this.channelsPerGroup = g.inChannels() / groups;
      this.outPerGroup = g.outChannels() / groups;
      int kernelArea = g.kernelHeight() * g.kernelWidth();
      this.k = channelsPerGroup * kernelArea;
      int sh = g.strideHeight();
      int sw = g.strideWidth();
      // Every row/column any tap reads, from -padTop/-padLeft up, with zeros outside the input.
      int bottom = (g.outHeight() - 1) * sh + (g.kernelHeight() - 1) * g.dilationHeight() + 1;
      int right = (g.outWidth() - 1) * sw + (g.kernelWidth() - 1) * g.dilationWidth() + 1;
      int padH = Math.max(bottom, g.padTop() + g.inHeight());
      int padW = Math.max(right, g.padLeft() + g.inWidth());
      this.rowH = (padH + sh - 1) / sh;
      this.rowW = (padW + sw - 1) / sw;
      this.kOff = new int[k];
      for (int kk = 0; kk < k; kk++) {
        int channel = kk / kernelArea;
        int tap = kk - channel * kernelArea;
        int dy = tap / g.kernelWidth() * g.dilationHeight();
        int dx = tap % g.kernelWidth() * g.dilationWidth();
        // Phase plane (dy % sh, dx % sw) of the channel, shifted by (dy / sh, dx / sw).
        int plane = (channel * sh + dy % sh) * sw + dx % sw;
        kOff[kk] = plane * rowH * rowW + dy / sh * rowW + dx / sw;
      }
      this.planes = Math.multiplyExact(channelsPerGroup * sh * sw, rowH * rowW);
      // The last step of a band runs up to COLUMNS past the last position, shifted by a tap.
      this.slack = COLUMNS + rowW + L;
      this.bandRows = Math.max(1, Math.min(g.outHeight(), BAND / rowW));
    }

    @Override
    public void run(float[] input, int n, float[] output) {
      run(input, n, output, 0, g.outChannels(), null);
    }

    @Override
    public boolean rebuildsWeight() {
      return true;
    }

    @Override
    public float[] weight() {
      return weight.clone();
    }

    @Override
    public void run(
        float[] input,
        int n,
        float[] output,
        int outChannelOffset,
        int outChannels,
        float[] residual) {
      Slices.check(g.outChannels(), outChannelOffset, outChannels);
      int plane = g.outHeight() * g.outWidth();
      int outStride = outChannels * plane;
      int outOff = outChannelOffset * plane;
      int units = n * groups;
      double flops = 2.0 * n * g.outputSize() * k;
      int threads = Parallel.threads();
      int chunks =
          threads == 1 || flops < VectorConvolution.INLINE_FLOPS ? 1 : Math.min(units, threads * 4);
      Parallel.forRanges(
          units,
          chunks,
          (from, to) -> compute(input, output, outStride, outOff, residual, from, to));
    }

    /** Units {@code [from, to)}, each one sample's group: its input planes, then its outputs. */
    private void compute(
        float[] input,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int from,
        int to) {
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      float[] pad = s.pad(planes + slack);
      float[] c = s.c(bandRows * rowW + COLUMNS);
      int oh = g.outHeight();
      int ow = g.outWidth();
      int plane = oh * ow;
      // The padding cells are the same for every unit of the layer: zeroed once per call, while
      // each unit writes only the inside. Per-row fills of the margins cost more than the FMAs
      // on MobileNetV2's 7 x 7 planes.
      java.util.Arrays.fill(pad, 0, planes + slack, 0f);
      for (int u = from; u < to; u++) {
        int sample = u / groups;
        int group = u - sample * groups;
        splitPhases(input, sample, group, pad);
        for (int j = 0; j < outPerGroup; j++) {
          int oc = group * outPerGroup + j;
          float bv = bias == null ? 0f : bias[oc];
          int outBase = sample * outStride + outOff + oc * plane;
          int resBase = sample * g.outputSize() + oc * plane;
          for (int oy0 = 0; oy0 < oh; oy0 += bandRows) {
            int rows = Math.min(bandRows, oh - oy0);
            int count = rows * rowW;
            int base = oy0 * rowW;
            for (int col = 0; col < count; col += COLUMNS) {
              kernel(weight, oc * k, pad, base + col, kOff, k, c, col);
            }
            if (residual != null) {
              for (int r = 0; r < rows; r++) {
                int at = (oy0 + r) * ow;
                VectorEpilogue.biasResidualActivate(
                    c, r * rowW, output, outBase + at, ow, bv, residual, resBase + at, activation);
              }
            } else {
              // Bias and activation over the whole band in place (full vectors; unused columns
              // computed and dropped), then plain copies of each row's first OW columns.
              VectorGemm.biasActivate(c, 0, c, 0, count, bv, activation);
              for (int r = 0; r < rows; r++) {
                System.arraycopy(c, r * rowW, output, outBase + (oy0 + r) * ow, ow);
              }
            }
          }
        }
      }
    }

    /**
     * The phase planes of {@code group}'s channels of {@code sample} into {@code pad}, laid out
     * {@code (C/g, sh, sw, rowH, rowW)}; only the cells inside the input are written, the padding
     * cells hold the zeros {@link #compute} put there.
     */
    private void splitPhases(float[] input, int sample, int group, float[] pad) {
      int h = g.inHeight();
      int w = g.inWidth();
      int sh = g.strideHeight();
      int sw = g.strideWidth();
      int planeSize = rowH * rowW;
      // One pass over each input row, each float to its phase plane: padded column xx goes to
      // phase xx % sw, column xx / sw (padded rows likewise).
      for (int ci = 0; ci < channelsPerGroup; ci++) {
        int src = sample * g.inputSize() + (group * channelsPerGroup + ci) * h * w;
        for (int y = 0; y < h; y++) {
          int yy = y + g.padTop();
          int rowBase = ((ci * sh + yy % sh) * sw) * planeSize + yy / sh * rowW;
          int in = src + y * w;
          if (sw == 1) {
            System.arraycopy(input, in, pad, rowBase + g.padLeft(), w);
          } else if (sw == 2) {
            // Input columns alternate between the two phases; a and b walk them.
            int xx = g.padLeft();
            int a = rowBase + (xx & 1) * planeSize + (xx >> 1);
            int b = rowBase + ((xx + 1) & 1) * planeSize + ((xx + 1) >> 1);
            int x = 0;
            for (; x + 1 < w; x += 2) {
              pad[a++] = input[in + x];
              pad[b++] = input[in + x + 1];
            }
            if (x < w) {
              pad[a] = input[in + x];
            }
          } else {
            for (int x = 0; x < w; x++) {
              int xx = x + g.padLeft();
              pad[rowBase + xx % sw * planeSize + xx / sw] = input[in + x];
            }
          }
        }
      }
    }

    /** {@code ceil(a / b)} for {@code b > 0} and any sign of {@code a}. */
    private static int ceilDiv(int a, int b) {
      return -Math.floorDiv(-a, b);
    }
  }
}
