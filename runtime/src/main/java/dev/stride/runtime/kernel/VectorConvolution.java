package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.MR;
import static dev.stride.runtime.kernel.VectorGemm.NR;

/**
 * Vector API convolution: {@code input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) -> (N, OC,
 * OH, OW)}, as one GEMM per group, {@code C[OCg, N*OH*OW] = W[OCg, K] x col[K, N*OH*OW]} with
 * {@code K = C/g * KH * KW}.
 *
 * <p>Design (numbers from this 2-core AVX-512 machine, JDK 17):
 *
 * <ul>
 *   <li>Weights are packed once into {@link VectorGemm#MR}-row panels, k-major, rows past OC/g
 *       zero, so the 8 x 48 micro-kernel (123 GFLOP/s on one core, 92% of FMA peak, with a kc x 48
 *       B panel in L1 and A panels streamed from L2) needs no row tail.
 *   <li>The im2col operand is never materialised whole: each task packs one 48-column tile for one
 *       K block straight from the input into a per-thread panel ({@code kc * 48} floats; kc = 256
 *       gives a 48 KB panel that stays in L1/L2 while every weight panel of the task streams past
 *       it). Columns run over batch and space together, so AlexNet's 12 x 12 late layers still fill
 *       tiles at batch 32. Padding, stride, dilation and sample boundaries are handled while
 *       packing, by row segments, so the micro-kernel has no edge cases; a 1x1 stride-1 conv packs
 *       plain contiguous copies (no im2col arithmetic beyond one segment per row).
 *   <li>Partial sums for K blocks live in a per-thread C tile; the last block's output pass adds
 *       the bias and applies the activation while scattering to (N, OC, OH, OW).
 *   <li>Work is split over column tiles (and, when there are too few, over weight panels too) into
 *       about 4 tasks per thread for {@link Parallel#forEach}; layers under {@link #INLINE_FLOPS}
 *       run on the calling thread, since handing work to the pool costs more than LeNet's layers.
 * </ul>
 */
final class VectorConvolution {
  /**
   * K block: a {@code 256 x 48} B panel is 48 KB, which keeps the micro-kernel at 123 GFLOP/s (kc =
   * 128: 120, 512: 116, whole K = 2400: 103).
   */
  static final int KC = 256;

  /** Below this many FLOPs a layer runs inline; a pool hand-off costs a few microseconds. */
  static final long INLINE_FLOPS = 2_000_000;

  private VectorConvolution() {}

  /**
   * Packs {@code weight (OC, C/groups, KH, KW)} once; the layer maps {@code input (N, C, H, W)} to
   * {@code output (N, OC, OH, OW)}, adding {@code bias (OC)} (may be null) and applying {@code
   * activation} in its output pass.
   */
  static PreparedLayer prepare(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    return new Layer(g, weight, bias, activation);
  }

  private static final class Layer implements PreparedLayer {
    private final Conv2dGeometry g;
    private final Activation activation;
    private final float[] bias;
    private final float[] packed;
    private final int groups;
    private final int channelsPerGroup;
    private final int outPerGroup;
    private final int k;
    private final int kernelArea;
    private final int panels;
    private final int kBlocks;
    private final int kc;

    Layer(Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
      this.g = g;
      this.activation = activation;
      this.bias = bias == null ? null : bias.clone();
      this.groups = g.groups();
      this.channelsPerGroup = g.inChannels() / groups;
      this.outPerGroup = g.outChannels() / groups;
      this.kernelArea = g.kernelHeight() * g.kernelWidth();
      this.k = channelsPerGroup * kernelArea;
      this.panels = (outPerGroup + MR - 1) / MR;
      // Equal K blocks no larger than KC, so no block is a sliver.
      this.kBlocks = (k + KC - 1) / KC;
      this.kc = (k + kBlocks - 1) / kBlocks;
      this.packed = new float[Math.multiplyExact(groups * panels * MR, k)];
      for (int gr = 0; gr < groups; gr++) {
        VectorGemm.packRowPanels(
            weight, gr * outPerGroup * k, outPerGroup, k, packed, gr * panels * MR * k);
      }
    }

    @Override
    public void run(float[] input, int n, float[] output) {
      long columns = (long) n * g.outHeight() * g.outWidth();
      int tiles = Math.toIntExact((columns + NR - 1) / NR);
      int units = groups * tiles;
      double flops = 2.0 * g.outChannels() * k * columns;
      int threads = Parallel.threads();
      if (threads == 1 || flops < INLINE_FLOPS) {
        compute(input, n, output, tiles, 0, units, 0, panels);
        return;
      }
      int target = threads * 4;
      if (units >= target) {
        // Column tiles only: every task packs its own B panels once and runs all weight panels.
        Parallel.forEach(
            target,
            i -> {
              int from = (int) ((long) units * i / target);
              int to = (int) ((long) units * (i + 1) / target);
              compute(input, n, output, tiles, from, to, 0, panels);
            });
      } else {
        // Too few tiles (batch 1 on a 12 x 12 output): also split the weight panels.
        int rowChunks = Math.min(panels, (target + units - 1) / units);
        Parallel.forEach(
            units * rowChunks,
            i -> {
              int unit = i / rowChunks;
              int chunk = i % rowChunks;
              int from = panels * chunk / rowChunks;
              int to = panels * (chunk + 1) / rowChunks;
              compute(input, n, output, tiles, unit, unit + 1, from, to);
            });
      }
    }

    /** Column units {@code [unitFrom, unitTo)} (group-major) times weight panels. */
    private void compute(
        float[] input,
        int n,
        float[] output,
        int tiles,
        int unitFrom,
        int unitTo,
        int panelFrom,
        int panelTo) {
      if (panelFrom >= panelTo) {
        return;
      }
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      float[] b = s.b(kc * NR);
      int rows = (panelTo - panelFrom) * MR;
      float[] c = s.c(rows * NR);
      for (int u = unitFrom; u < unitTo; u++) {
        int group = u / tiles;
        int tile = u - group * tiles;
        int segments = segments(s, n, group, tile);
        for (int kb = 0; kb < kBlocks; kb++) {
          int k0 = kb * kc;
          int kLen = Math.min(kc, k - k0);
          packB(s, segments, input, k0, kLen, b);
          int aBase = (group * panels) * MR * k + k0 * MR;
          for (int p = panelFrom; p < panelTo; p++) {
            VectorGemm.microKernel(
                packed, aBase + p * MR * k, b, 0, kLen, c, (p - panelFrom) * MR * NR, NR, kb > 0);
          }
        }
        store(s, segments, c, panelFrom, panelTo, group, output);
      }
    }

    /**
     * Splits the tile's columns into runs sharing one sample and output row; for each, records the
     * tile column it starts at, its length, the offset of the group's first input channel in its
     * sample, and its first input row and column before adding the tap offsets. Returns the count.
     */
    private int segments(VectorGemm.Scratch s, int n, int group, int tile) {
      int oh = g.outHeight();
      int ow = g.outWidth();
      int plane = oh * ow;
      long total = (long) n * plane;
      long col = (long) tile * NR;
      long end = Math.min(col + NR, total);
      int count = 0;
      int j = 0;
      while (col < end) {
        int sample = (int) (col / plane);
        int pos = (int) (col - (long) sample * plane);
        int oy = pos / ow;
        int ox = pos - oy * ow;
        int len = (int) Math.min(ow - ox, end - col);
        s.segJ[count] = j;
        s.segLen[count] = len;
        s.segIn[count] =
            sample * g.inputSize() + group * channelsPerGroup * g.inHeight() * g.inWidth();
        s.segY[count] = oy * g.strideHeight() - g.padTop();
        s.segX[count] = ox * g.strideWidth() - g.padLeft();
        count++;
        j += len;
        col += len;
      }
      s.segJ[count] = j; // the number of valid columns
      return count;
    }

    /** im2col for rows {@code [k0, k0 + kLen)} of the tile: {@code b[kk * NR + j]}, zero-padded. */
    private void packB(
        VectorGemm.Scratch s, int segments, float[] input, int k0, int kLen, float[] b) {
      final int h = g.inHeight();
      final int w = g.inWidth();
      final int kw = g.kernelWidth();
      final int sw = g.strideWidth();
      final int dh = g.dilationHeight();
      final int dw = g.dilationWidth();
      final int valid = s.segJ[segments];
      final int[] segJ = s.segJ;
      final int[] segLen = s.segLen;
      final int[] segIn = s.segIn;
      final int[] segY = s.segY;
      final int[] segX = s.segX;
      int channel = k0 / kernelArea;
      int tap = k0 - channel * kernelArea;
      int ky = tap / kw;
      int kx = tap - ky * kw;
      for (int kk = 0; kk < kLen; kk++) {
        int dst = kk * NR;
        int chanOff = channel * h * w;
        int dy = ky * dh;
        int dx = kx * dw;
        for (int q = 0; q < segments; q++) {
          int d = dst + segJ[q];
          int len = segLen[q];
          int iy = segY[q] + dy;
          if (iy < 0 || iy >= h) {
            java.util.Arrays.fill(b, d, d + len, 0f);
            continue;
          }
          int ix0 = segX[q] + dx;
          int row = segIn[q] + chanOff + iy * w + ix0;
          int lo = ix0 >= 0 ? 0 : Math.min(len, (-ix0 + sw - 1) / sw);
          int last = w - 1 - ix0;
          int hi = last < 0 ? lo : Math.max(lo, Math.min(len, last / sw + 1));
          for (int j = 0; j < lo; j++) {
            b[d + j] = 0f;
          }
          if (sw == 1) {
            System.arraycopy(input, row + lo, b, d + lo, hi - lo);
          } else {
            for (int j = lo; j < hi; j++) {
              b[d + j] = input[row + j * sw];
            }
          }
          for (int j = hi; j < len; j++) {
            b[d + j] = 0f;
          }
        }
        for (int j = valid; j < NR; j++) {
          b[dst + j] = 0f;
        }
        if (++kx == kw) {
          kx = 0;
          if (++ky == g.kernelHeight()) {
            ky = 0;
            channel++;
          }
        }
      }
    }

    /** The output pass: bias + activation from the C tile into (N, OC, OH, OW). */
    private void store(
        VectorGemm.Scratch s,
        int segments,
        float[] c,
        int panelFrom,
        int panelTo,
        int group,
        float[] output) {
      int plane = g.outHeight() * g.outWidth();
      int rowTo = Math.min(panelTo * MR, outPerGroup);
      // Segments are output rows; consecutive ones in one sample are contiguous in the output, so
      // merge them into runs before the vector pass.
      for (int r = panelFrom * MR; r < rowTo; r++) {
        int oc = group * outPerGroup + r;
        float bv = bias == null ? 0f : bias[oc];
        int cRow = (r - panelFrom * MR) * NR;
        int q = 0;
        while (q < segments) {
          int sample = (s.segIn[q] / g.inputSize());
          int j0 = s.segJ[q];
          int q1 = q + 1;
          while (q1 < segments && s.segIn[q1] == s.segIn[q]) {
            q1++;
          }
          int len = s.segJ[q1] - j0;
          int firstPos = outPos(s, q);
          VectorGemm.biasActivate(
              c,
              cRow + j0,
              output,
              sample * g.outputSize() + oc * plane + firstPos,
              len,
              bv,
              activation);
          q = q1;
        }
      }
    }

    /** The output position (oy * OW + ox) of a segment's first column. */
    private int outPos(VectorGemm.Scratch s, int q) {
      int oy = (s.segY[q] + g.padTop()) / g.strideHeight();
      int ox = (s.segX[q] + g.padLeft()) / g.strideWidth();
      return oy * g.outWidth() + ox;
    }
  }
}
