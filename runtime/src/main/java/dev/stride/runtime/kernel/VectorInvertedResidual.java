package dev.stride.runtime.kernel;

import java.util.Arrays;

/**
 * Vector API inverted-residual block, MobileNetV2's unit, run per band of output rows: {@code input
 * (N, C, H, W)} -> 1x1 expansion + ReLU6 -> 3x3 depthwise + ReLU6 -> 1x1 projection (+ residual) ->
 * {@code (N, OC, OH, OW)}; see {@link InvertedResidualGeometry}.
 *
 * <p>Run layer by layer, the expanded activation (six times the input's channels) goes to memory
 * and back twice; on MobileNetV2's large planes that is several MB per layer through an L2 of a few
 * hundred KB, so those layers wait on memory rather than on FMAs. Here a band of {@code R} output
 * rows needs only the expanded rows its depthwise windows read, and those are computed for {@code
 * G} hidden channels at a time: the group's expanded rows, its depthwise output, and the band's
 * projection sums (to which every group adds its share) together fit in half of L2. Neighbouring
 * bands recompute the one or two expanded rows they share; {@code R} is as large as L2 allows, so
 * that is a small part of the expansion.
 *
 * <p>Each stage uses the kernels of the layer-by-layer path: {@link VectorGemm#directKernel} for
 * both 1x1 convolutions (the input's rows are consecutive floats per channel, read in place; the
 * depthwise output is laid out per hidden channel for the projection) and {@link
 * VectorDepthwise#kernel} over zero-padded phase planes for the depthwise one. Every value is the
 * same sum in the same order as in those layers, with the same output passes.
 */
final class VectorInvertedResidual {
  private static final int L = VectorGemm.L;
  private static final int MR = VectorGemm.MR;
  private static final int NR = VectorGemm.NR;
  private static final int COLUMNS = VectorDepthwise.COLUMNS;

  /**
   * {@code -Dstride.invertedResidual=false} runs every block layer by layer; {@code always} fuses
   * blocks of any size (by default only those whose expanded activation outgrows {@link #suits half
   * of L2}).
   */
  static final String PROPERTY = "stride.invertedResidual";

  private static final String MODE = System.getProperty(PROPERTY, "true");

  private VectorInvertedResidual() {}

  /**
   * Whether the vector kernels fuse the block {@code g}: when its expanded activation per sample is
   * more than half of L2, so that layer by layer it would go to memory; smaller blocks stay in
   * cache either way, and their layers split better over threads at batch 1.
   */
  static boolean suits(InvertedResidualGeometry g) {
    if (MODE.equals("always")) {
      return true;
    }
    if (!Boolean.parseBoolean(MODE)) {
      return false;
    }
    long hidden = 4L * g.hiddenChannels() * g.height() * g.width();
    return hidden > VectorGemm.GEOMETRY.l2() / 2;
  }

  /**
   * The block for {@code g} with {@code expandWeight (hidden, C)} (null without expansion), {@code
   * depthwiseWeight (hidden, 1, 3, 3)} and {@code projectWeight (OC, hidden)}; each bias may be
   * null. The arrays are copied.
   */
  static PreparedLayer prepare(
      InvertedResidualGeometry g,
      float[] expandWeight,
      float[] expandBias,
      float[] depthwiseWeight,
      float[] depthwiseBias,
      float[] projectWeight,
      float[] projectBias) {
    return prepare(
        g,
        expandWeight,
        expandBias,
        depthwiseWeight,
        depthwiseBias,
        projectWeight,
        projectBias,
        Parallel.threads());
  }

  /** As above, with bands for {@code threads} threads: tests choose the band height so. */
  static PreparedLayer prepare(
      InvertedResidualGeometry g,
      float[] expandWeight,
      float[] expandBias,
      float[] depthwiseWeight,
      float[] depthwiseBias,
      float[] projectWeight,
      float[] projectBias,
      int threads) {
    return new Block(
        g,
        expandWeight,
        expandBias,
        depthwiseWeight,
        depthwiseBias,
        projectWeight,
        projectBias,
        threads);
  }

  private static int roundUp(int a, int b) {
    return (a + b - 1) / b * b;
  }

  /** One thread's band buffers, grown on demand. */
  private static final class Scratch {
    float[] hid = new float[0];
    float[] dw = new float[0];
    float[] out = new float[0];
    float[] pad = new float[0];
    float[] row = new float[0];
    float[] tail = new float[0];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Block implements PreparedLayer {
    private final InvertedResidualGeometry g;
    private final int c;
    private final int e;
    private final int o;
    private final int h;
    private final int w;
    private final int s;
    private final int oh;
    private final int ow;
    private final boolean expand;
    private final float[] packedE;
    private final float[] biasE;
    private final float[] dw;
    private final float[] biasD;
    private final float[] packedP;
    private final float[] biasP;
    private final int kc;

    /** Hidden channels per group, a multiple of MR; output rows per band; bands per sample. */
    private final int group;

    private final int bandRows;
    private final int bands;

    /** Floats per hidden channel of the group's expanded rows and of its depthwise output. */
    private final int hidLd;

    private final int dLd;

    /** One phase plane of the depthwise input, as in {@link VectorDepthwise}. */
    private final int rowH;

    private final int rowW;
    private final int padFloats;
    private final int[] kOffD = new int[9];
    private final int[] kOffIn;
    private final int[] kOffTail;
    private final int[] kOffP;

    Block(
        InvertedResidualGeometry g,
        float[] expandWeight,
        float[] expandBias,
        float[] depthwiseWeight,
        float[] depthwiseBias,
        float[] projectWeight,
        float[] projectBias,
        int threads) {
      this.g = g;
      this.c = g.inChannels();
      this.e = g.hiddenChannels();
      this.o = g.outChannels();
      this.h = g.height();
      this.w = g.width();
      this.s = g.stride();
      this.oh = g.outHeight();
      this.ow = g.outWidth();
      this.expand = g.expand();
      int ePanels = (e + MR - 1) / MR;
      int oPanels = (o + MR - 1) / MR;
      if (expand) {
        check("expandWeight", expandWeight, e * c);
        packedE = new float[ePanels * MR * c];
        VectorGemm.packRowPanels(expandWeight, 0, e, c, packedE, 0);
      } else {
        packedE = null;
      }
      check("depthwiseWeight", depthwiseWeight, e * 9);
      check("projectWeight", projectWeight, o * e);
      this.biasE = orZeros(expandBias, e);
      this.dw = Arrays.copyOf(depthwiseWeight, e * 9);
      this.biasD = orZeros(depthwiseBias, e);
      this.packedP = new float[oPanels * MR * e];
      VectorGemm.packRowPanels(projectWeight, 0, o, e, packedP, 0);
      this.biasP = orZeros(projectBias, o);
      this.kc = Math.max(MR, VectorGemm.KC / MR * MR);
      // Eight panels of hidden channels per group: the projection then loads and stores its sums
      // once per 8 * MR FMAs of each; fewer K steps than a K block.
      this.group = Math.min(ePanels * MR, Math.min(8 * MR, kc));
      int padW = Math.max((ow - 1) * s + 3, w + 1);
      this.rowW = (padW + s - 1) / s;
      // The most rows a band may have: enough bands that every thread gets two, and the band's
      // buffers within half of L2.
      long budget = VectorGemm.GEOMETRY.l2() / 2;
      int cap = Math.max(1, (oh + 2 * threads - 1) / (2 * threads));
      int r = 1;
      while (r < cap && bytes(r + 1, oPanels) <= budget) {
        r++;
      }
      this.bandRows = r;
      this.bands = (oh + r - 1) / r;
      this.hidLd = hidLd(r);
      this.dLd = dLd(r);
      this.rowH = rowH(r);
      this.padFloats = padFloats(r);
      for (int t = 0; t < 9; t++) {
        int dy = t / 3;
        int dx = t % 3;
        int plane = (dy % s) * s + dx % s;
        kOffD[t] = plane * rowH * rowW + dy / s * rowW + dx / s;
      }
      kOffIn = new int[c];
      kOffTail = new int[c];
      for (int k = 0; k < c; k++) {
        kOffIn[k] = k * h * w;
        kOffTail[k] = k * NR;
      }
      kOffP = new int[e];
      for (int k = 0; k < e; k++) {
        kOffP[k] = k * dLd;
      }
    }

    private static void check(String name, float[] a, int size) {
      if (a == null || a.length < size) {
        throw new IllegalArgumentException(
            name + " must have " + size + " floats, got " + (a == null ? "null" : a.length));
      }
    }

    private static float[] orZeros(float[] bias, int size) {
      return bias == null ? new float[size] : Arrays.copyOf(bias, size);
    }

    private int hidLd(int r) {
      return roundUp(Math.min(h, (r - 1) * s + 3) * w, NR);
    }

    private int dLd(int r) {
      return roundUp(r * ow, NR);
    }

    private int rowH(int r) {
      return ((r - 1) * s + 2) / s + 1;
    }

    private int padFloats(int r) {
      // The last kernel step of a band runs up to COLUMNS past its positions, shifted by a tap.
      return s * s * rowH(r) * rowW + COLUMNS + rowW + L;
    }

    private long bytes(int r, int oPanels) {
      long floats =
          (long) oPanels * MR * dLd(r)
              + (long) group * ((expand ? hidLd(r) : 0) + dLd(r))
              + padFloats(r)
              + roundUp(r * rowW, COLUMNS);
      return 4 * floats;
    }

    @Override
    public void run(float[] input, int n, float[] output) {
      run(input, n, output, 0, o, null);
    }

    @Override
    public void run(
        float[] input,
        int n,
        float[] output,
        int outChannelOffset,
        int outChannels,
        float[] residual) {
      Slices.check(o, outChannelOffset, outChannels);
      int plane = oh * ow;
      int outStride = outChannels * plane;
      int outOff = outChannelOffset * plane;
      int units = n * bands;
      double flops =
          2.0
              * n
              * ((expand ? (double) c * e * h * w : 0) + 9.0 * e * plane + (double) e * o * plane);
      int threads = Parallel.threads();
      int chunks =
          threads == 1 || flops < VectorConvolution.INLINE_FLOPS ? 1 : Math.min(units, threads * 2);
      if (chunks == 1) {
        compute(input, output, outStride, outOff, residual, 0, units);
        return;
      }
      Parallel.forEach(
          chunks,
          i ->
              compute(
                  input,
                  output,
                  outStride,
                  outOff,
                  residual,
                  (int) ((long) units * i / chunks),
                  (int) ((long) units * (i + 1) / chunks)));
    }

    /** Bands {@code [from, to)}, sample-major. */
    private void compute(
        float[] input,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int from,
        int to) {
      Scratch sc = SCRATCH.get();
      int oPanels = (o + MR - 1) / MR;
      float[] hid = sc.hid = VectorGemm.atLeast(sc.hid, expand ? group * hidLd : 0);
      float[] dwOut = sc.dw = VectorGemm.atLeast(sc.dw, group * dLd);
      float[] out = sc.out = VectorGemm.atLeast(sc.out, oPanels * MR * dLd);
      float[] pad = sc.pad = VectorGemm.atLeast(sc.pad, padFloats);
      float[] row =
          sc.row = VectorGemm.atLeast(sc.row, roundUp(bandRows * rowW, COLUMNS) + COLUMNS);
      float[] tail = sc.tail = VectorGemm.atLeast(sc.tail, expand ? c * NR : 0);
      int hw = h * w;
      int plane = oh * ow;
      for (int u = from; u < to; u++) {
        int sample = u / bands;
        int band = u - sample * bands;
        int oy0 = band * bandRows;
        int rows = Math.min(bandRows, oh - oy0);
        int iyLo = oy0 * s - 1; // the band's first padded row, as an input row
        int iyA = Math.max(0, iyLo);
        int iyB = Math.min(h, (oy0 + rows - 1) * s + 2);
        int positions = (iyB - iyA) * w;
        int outPositions = rows * ow;
        int inBase = sample * g.inputSize();
        Arrays.fill(out, 0, oPanels * MR * dLd, 0f);
        // Padding cells, and rows past a short band, hold zeros; the inside is written per channel.
        Arrays.fill(pad, 0, padFloats, 0f);
        for (int e0 = 0; e0 < e; e0 += group) {
          int e1 = Math.min(e, e0 + group);
          if (expand) {
            expandRows(input, inBase + iyA * w, positions, e0, e1, hid, tail);
          }
          for (int ch = e0; ch < e1; ch++) {
            if (expand) {
              fillPlanes(hid, (ch - e0) * hidLd, iyA, iyB, iyLo, pad);
            } else {
              fillPlanes(input, inBase + ch * hw + iyA * w, iyA, iyB, iyLo, pad);
            }
            int count = rows * rowW;
            for (int col = 0; col < count; col += COLUMNS) {
              VectorDepthwise.kernel(dw, ch * 9, pad, col, kOffD, 9, row, col);
            }
            VectorGemm.biasActivate(row, 0, row, 0, count, biasD[ch], Activation.RELU6);
            int d = (ch - e0) * dLd;
            for (int rr = 0; rr < rows; rr++) {
              System.arraycopy(row, rr * rowW, dwOut, d + rr * ow, ow);
            }
          }
          // The group's share of the projection: K steps e0..e1 of every output panel.
          int bOff = -e0 * dLd;
          for (int col = 0; col < outPositions; col += NR) {
            for (int p = 0; p < oPanels; p++) {
              VectorGemm.directKernel(
                  packedP,
                  p * MR * e + e0 * MR,
                  dwOut,
                  bOff + col,
                  kOffP,
                  e0,
                  e1 - e0,
                  out,
                  p * MR * dLd + col,
                  dLd);
            }
          }
        }
        int outBase = sample * outStride + outOff + oy0 * ow;
        int resBase = sample * g.outputSize() + oy0 * ow;
        for (int oc = 0; oc < o; oc++) {
          VectorEpilogue.store(
              out,
              oc * dLd,
              output,
              outBase + oc * plane,
              outPositions,
              biasP[oc],
              residual,
              resBase + oc * plane,
              Activation.NONE);
        }
      }
    }

    /**
     * Hidden channels {@code [e0, e1)} of the input's {@code positions} consecutive floats per
     * channel from {@code at}, expanded with bias and ReLU6 into {@code hid} ({@link #hidLd} per
     * channel).
     */
    private void expandRows(
        float[] input, int at, int positions, int e0, int e1, float[] hid, float[] tail) {
      int panelFrom = e0 / MR;
      int panelTo = (e1 + MR - 1) / MR;
      Arrays.fill(hid, 0, (panelTo - panelFrom) * MR * hidLd, 0f);
      for (int col = 0; col < positions; col += NR) {
        float[] b = input;
        int bOff = at + col;
        int[] kOff = kOffIn;
        if (col + NR > positions) {
          // The last tile would read past the band (and the array): its columns staged, zeros
          // after them.
          int len = positions - col;
          for (int k = 0; k < c; k++) {
            System.arraycopy(input, at + kOffIn[k] + col, tail, k * NR, len);
            Arrays.fill(tail, k * NR + len, (k + 1) * NR, 0f);
          }
          b = tail;
          bOff = 0;
          kOff = kOffTail;
        }
        for (int p = panelFrom; p < panelTo; p++) {
          for (int k0 = 0; k0 < c; k0 += kc) {
            VectorGemm.directKernel(
                packedE,
                p * MR * c + k0 * MR,
                b,
                bOff,
                kOff,
                k0,
                Math.min(kc, c - k0),
                hid,
                (p * MR - e0) * hidLd + col,
                hidLd);
          }
        }
      }
      for (int ch = e0; ch < e1; ch++) {
        int off = (ch - e0) * hidLd;
        VectorGemm.biasActivate(hid, off, hid, off, positions, biasE[ch], Activation.RELU6);
      }
    }

    /**
     * Input rows {@code [iyA, iyB)} of one hidden channel ({@code w} floats each from {@code at})
     * into the band's phase planes, laid out {@code (s, s, rowH, rowW)} from padded row {@code iyLo
     * + 1}.
     */
    private void fillPlanes(float[] src, int at, int iyA, int iyB, int iyLo, float[] pad) {
      int planeSize = rowH * rowW;
      for (int iy = iyA; iy < iyB; iy++) {
        int py = iy - iyLo;
        int rowBase = (py % s) * s * planeSize + py / s * rowW;
        int in = at + (iy - iyA) * w;
        if (s == 1) {
          System.arraycopy(src, in, pad, rowBase + 1, w);
        } else if (s == 2) {
          // Padded column x + 1: odd for even x (phase 1, column x / 2), even for odd x.
          int a = rowBase + planeSize;
          int b = rowBase + 1;
          int x = 0;
          for (; x + 1 < w; x += 2) {
            pad[a++] = src[in + x];
            pad[b++] = src[in + x + 1];
          }
          if (x < w) {
            pad[a] = src[in + x];
          }
        } else {
          for (int x = 0; x < w; x++) {
            int xx = x + 1;
            pad[rowBase + xx % s * planeSize + xx / s] = src[in + x];
          }
        }
      }
    }
  }
}
