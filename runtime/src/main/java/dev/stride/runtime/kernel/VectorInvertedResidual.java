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
 * that is a small part of the expansion. The band's input rows are staged as the depthwise
 * convolution's zero-padded phase planes before the expansion, which is pointwise and so runs on
 * that layout as well as on any other: the depthwise kernel then reads the expanded planes in
 * place, once their padding cells are set back to zero.
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
   * {@code -Dstride.invertedResidual=false} runs every block layer by layer; {@code always} runs
   * every block in bands (by default only those whose expanded activation outgrows {@link #large
   * half of L2}; the others run as two passes over whole planes).
   */
  static final String PROPERTY = "stride.invertedResidual";

  private static final String MODE = System.getProperty(PROPERTY, "true");

  private VectorInvertedResidual() {}

  /** Whether the vector kernels fuse the block {@code g}: unless switched off. */
  static boolean suits(InvertedResidualGeometry g) {
    switch (MODE) {
      case "always":
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new IllegalArgumentException(
            "-D" + PROPERTY + "=" + MODE + ": expected true, false or always");
    }
  }

  /**
   * Whether {@code g}'s expanded activation per sample is more than half of L2, so that layer by
   * layer it would go to memory: such a block runs in bands. A smaller one stays in cache either
   * way, and bands of its few rows would each recompute the rows they share and split poorly over
   * threads; it runs as one pass over the whole hidden planes split by hidden channels, then one
   * for the projection split by output channels.
   */
  static boolean large(InvertedResidualGeometry g) {
    long hidden = 4L * g.hiddenChannels() * g.height() * g.width();
    return MODE.equals("always") || hidden > VectorGemm.GEOMETRY.l2() / 2;
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
    return prepare(
        g,
        expandWeight,
        expandBias,
        depthwiseWeight,
        depthwiseBias,
        projectWeight,
        projectBias,
        threads,
        !large(g));
  }

  /** As above, in bands or ({@code whole}) over whole planes: tests run both on any shape. */
  static PreparedLayer prepare(
      InvertedResidualGeometry g,
      float[] expandWeight,
      float[] expandBias,
      float[] depthwiseWeight,
      float[] depthwiseBias,
      float[] projectWeight,
      float[] projectBias,
      int threads,
      boolean whole) {
    return new Block(
        g,
        expandWeight,
        expandBias,
        depthwiseWeight,
        depthwiseBias,
        projectWeight,
        projectBias,
        threads,
        whole);
  }

  /**
   * The staged input and the depthwise output of a whole-plane call, which every task of the call
   * reads, owned by the calling thread while {@code inUse}.
   */
  private static final class Shared {
    float[] x = new float[0];
    float[] d = new float[0];
    boolean inUse;
  }

  private static final ThreadLocal<Shared> SHARED = ThreadLocal.withInitial(Shared::new);

  private static int roundUp(int a, int b) {
    return (a + b - 1) / b * b;
  }

  /** One thread's band buffers, grown on demand. */
  private static final class Scratch {
    float[] in = new float[0];
    float[] hid = new float[0];
    float[] dw = new float[0];
    float[] out = new float[0];
    float[] carry = new float[0];
    int[] runs = new int[0];
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

    /**
     * The band's depthwise input, per channel: {@code s x s} zero-padded phase planes of {@code
     * rowH x rowW}, as in {@link VectorDepthwise}, so that every tap reads consecutive floats.
     */
    private final int rowH;

    private final int rowW;

    /** Floats of one channel's phase planes. */
    private final int planes;

    /**
     * Floats per channel of the staged input (the planes, whole tiles), of the expanded planes
     * (with the zeros the depthwise kernel's last steps read past them), and of the depthwise
     * output and the projection's sums ({@code oy * rowW + ox}, whole kernel steps and tiles).
     */
    private final int inLd;

    private final int hidLd;
    private final int dLd;

    private final int[] kOffD = new int[9];
    private final int[] kOffIn;
    private final int[] kOffP;

    /** Whether the block runs over whole planes ({@link #runWhole}) rather than in bands. */
    private final boolean whole;

    /**
     * Floats per channel of the whole-plane staged input and expansion: {@code H * W}, whole tiles.
     */
    private final int hwPad;

    private final int[] kOffX;

    Block(
        InvertedResidualGeometry g,
        float[] expandWeight,
        float[] expandBias,
        float[] depthwiseWeight,
        float[] depthwiseBias,
        float[] projectWeight,
        float[] projectBias,
        int threads,
        boolean whole) {
      this.g = g;
      this.whole = whole;
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
      this.biasE = orZeros(expandBias, ePanels * MR); // whole panels for VectorExpansion
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
      int r = whole ? oh : 1;
      while (r < cap && bytes(r + 1, oPanels) <= budget) {
        r++;
      }
      this.bandRows = r;
      this.bands = (oh + r - 1) / r;
      this.rowH = rowH(r);
      this.planes = s * s * rowH * rowW;
      this.inLd = inLd(r);
      this.hidLd = hidLd(r);
      this.dLd = dLd(r);
      for (int t = 0; t < 9; t++) {
        int dy = t / 3;
        int dx = t % 3;
        int plane = (dy % s) * s + dx % s;
        kOffD[t] = plane * rowH * rowW + dy / s * rowW + dx / s;
      }
      kOffIn = new int[c];
      for (int k = 0; k < c; k++) {
        kOffIn[k] = k * inLd;
      }
      this.hwPad = roundUp(h * w, NR);
      kOffX = new int[c];
      for (int k = 0; k < c; k++) {
        kOffX[k] = k * hwPad;
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

    private int rowH(int r) {
      return ((r - 1) * s + 2) / s + 1;
    }

    private int inLd(int r) {
      return roundUp(s * s * rowH(r) * rowW, NR);
    }

    private int hidLd(int r) {
      // The depthwise kernel's last step runs up to COLUMNS past the band, shifted by a tap.
      return Math.max(inLd(r), s * s * rowH(r) * rowW + COLUMNS + rowW + L);
    }

    private int dLd(int r) {
      return roundUp(roundUp(r * rowW, COLUMNS), NR);
    }

    private long bytes(int r, int oPanels) {
      long floats =
          (long) oPanels * MR * dLd(r)
              + (long) group * (hidLd(r) + dLd(r))
              + (expand ? (long) c * inLd(r) : 0);
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
      if (whole) {
        runWhole(
            input,
            n,
            output,
            outStride,
            outOff,
            residual,
            flops < VectorConvolution.INLINE_FLOPS ? 1 : threads);
        return;
      }
      int chunks =
          threads == 1 || flops < VectorConvolution.INLINE_FLOPS ? 1 : Math.min(units, threads);
      Parallel.forRanges(
          units,
          chunks,
          (from, to) -> compute(input, output, outStride, outOff, residual, from, to));
    }

    /**
     * The whole-plane form, per sample: the expansion, depthwise convolution and ReLU6s of each
     * hidden channel into a shared depthwise output, split over hidden channels; then the
     * projection from it, split over output channels. Sums and order as in the band form.
     */
    private void runWhole(
        float[] input,
        int n,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int threads) {
      int ePanels = (e + MR - 1) / MR;
      int oPanels = (o + MR - 1) / MR;
      int hw = h * w;
      Shared own = SHARED.get();
      boolean borrowed = !own.inUse;
      int xFloats = expand ? c * hwPad : 0;
      int dFloats = e * dLd;
      float[] x = borrowed ? (own.x = VectorGemm.atLeast(own.x, xFloats)) : new float[xFloats];
      float[] d = borrowed ? (own.d = VectorGemm.atLeast(own.d, dFloats)) : new float[dFloats];
      own.inUse = true;
      try {
        // Two chunks per thread: the passes are short, and an even split of few panels is coarse.
        int chunks = threads <= 1 ? 1 : 2 * threads;
        for (int sample = 0; sample < n; sample++) {
          int inBase = sample * g.inputSize();
          if (expand) {
            // Each channel's plane whole tiles apart, so the expansion's tiles read no further.
            for (int ch = 0; ch < c; ch++) {
              System.arraycopy(input, inBase + ch * hw, x, ch * hwPad, hw);
            }
          }
          Parallel.forRanges(
              ePanels,
              Math.min(ePanels, chunks),
              (from, to) -> hiddenPass(input, inBase, x, d, from, to));
          int outBase = sample * outStride + outOff;
          int resBase = sample * g.outputSize();
          Parallel.forRanges(
              oPanels,
              Math.min(oPanels, chunks),
              (from, to) -> projectPass(d, from, to, output, outBase, residual, resBase));
        }
      } finally {
        if (borrowed) {
          own.inUse = false;
        }
      }
    }

    /**
     * Hidden channels of panels {@code [from, to)}: expanded on the compact plane ({@code group}
     * channels at a time), each then copied into its zero-padded phase planes for the depthwise
     * kernel, whose output goes to {@code d}.
     */
    private void hiddenPass(float[] input, int inBase, float[] x, float[] d, int from, int to) {
      Scratch sc = SCRATCH.get();
      float[] compact = sc.in = VectorGemm.atLeast(sc.in, expand ? group * hwPad : 0);
      float[] pad = sc.hid = VectorGemm.atLeast(sc.hid, hidLd);
      int hw = h * w;
      int positions = oh * rowW;
      int rowsRead =
          Math.min(h, (oh - 1) * s + 2); // the rows any window reads; the planes hold no more
      int groupPanels = group / MR;
      for (int p0 = from; p0 < to; p0 += groupPanels) {
        int p1 = Math.min(to, p0 + groupPanels);
        int e0 = p0 * MR;
        int e1 = Math.min(e, p1 * MR);
        if (expand) {
          expandCompact(x, compact, p0, p1);
        }
        for (int ch = e0; ch < e1; ch++) {
          Arrays.fill(pad, 0, planes, 0f);
          if (expand) {
            fillPlanes(compact, (ch - e0) * hwPad, 0, rowsRead, -1, pad, 0);
          } else {
            fillPlanes(input, inBase + ch * hw, 0, rowsRead, -1, pad, 0);
          }
          for (int col = 0; col < positions; col += COLUMNS) {
            VectorDepthwise.kernelRelu6(
                dw, ch * 9, pad, col, kOffD, 9, biasD[ch], d, ch * dLd + col);
          }
        }
      }
    }

    /** Expansion panels {@code [p0, p1)} over the staged input {@code x}, with bias and ReLU6. */
    private void expandCompact(float[] x, float[] compact, int p0, int p1) {
      for (int p = p0; p < p1; p++) {
        int row = (p - p0) * MR * hwPad;
        if (VectorExpansion.HAS_KERNEL) {
          for (int col = 0; col < hwPad; col += NR) {
            VectorExpansion.expand(
                packedE, p * MR * c, x, col, hwPad, c, biasE, p * MR, compact, row + col, hwPad);
          }
          continue;
        }
        Arrays.fill(compact, row, row + MR * hwPad, 0f);
        directSums(packedE, p * MR * c, c, x, kOffX, hwPad, compact, row, hwPad);
        for (int r = 0; r < MR; r++) {
          VectorGemm.biasActivate(
              compact,
              row + r * hwPad,
              compact,
              row + r * hwPad,
              hwPad,
              biasE[p * MR + r],
              Activation.RELU6);
        }
      }
    }

    /**
     * Adds one weight panel's sums over all {@code k} rows of B (row offsets {@code kOff}) to C's
     * columns {@code [0, columns)}, {@code kc} rows at a time: the whole-plane stages' path for
     * tile shapes without {@link VectorExpansion}'s kernel.
     */
    private void directSums(
        float[] packed,
        int aBase,
        int k,
        float[] b,
        int[] kOff,
        int columns,
        float[] c,
        int cBase,
        int ldc) {
      for (int col = 0; col < columns; col += NR) {
        for (int k0 = 0; k0 < k; k0 += kc) {
          VectorGemm.directKernel(
              packed, aBase + k0 * MR, b, col, kOff, k0, Math.min(kc, k - k0), c, cBase + col, ldc);
        }
      }
    }

    /** Output panels {@code [from, to)} of the projection from the depthwise output {@code d}. */
    private void projectPass(
        float[] d, int from, int to, float[] output, int outBase, float[] residual, int resBase) {
      Scratch sc = SCRATCH.get();
      float[] out = sc.out = VectorGemm.atLeast(sc.out, MR * dLd);
      int positions = oh * rowW;
      int plane = oh * ow;
      for (int p = from; p < to; p++) {
        if (VectorExpansion.HAS_KERNEL) {
          // All of K from zero in registers: no zeroing pass, one store per tile; every column
          // the stores below read lies in a tile.
          for (int col = 0; col < positions; col += NR) {
            VectorExpansion.sums(packedP, p * MR * e, d, col, dLd, e, out, col, dLd);
          }
        } else {
          Arrays.fill(out, 0, MR * dLd, 0f);
          directSums(packedP, p * MR * e, e, d, kOffP, positions, out, 0, dLd);
        }
        for (int r = 0; r < MR && p * MR + r < o; r++) {
          int oc = p * MR + r;
          for (int rr = 0; rr < oh; rr++) {
            VectorEpilogue.store(
                out,
                r * dLd + rr * rowW,
                output,
                outBase + oc * plane + rr * ow,
                ow,
                biasP[oc],
                residual,
                resBase + oc * plane + rr * ow,
                Activation.NONE);
          }
        }
      }
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
      float[] in = sc.in = VectorGemm.atLeast(sc.in, expand ? c * inLd : 0);
      float[] hid = sc.hid = VectorGemm.atLeast(sc.hid, group * hidLd);
      float[] dwOut = sc.dw = VectorGemm.atLeast(sc.dw, group * dLd);
      float[] out = sc.out = VectorGemm.atLeast(sc.out, oPanels * MR * dLd);
      if (sc.runs.length < 4 * s * rowH * s + 2) {
        sc.runs = new int[4 * s * rowH * s + 2];
      }
      int[] runs = sc.runs;
      // At stride 1 a band's first two padded rows are the last two of the band before: kept
      // per hidden channel, so that a thread's consecutive bands expand each row once.
      boolean carries = expand && s == 1;
      float[] carry = sc.carry = VectorGemm.atLeast(sc.carry, carries ? e * 2 * rowW : 0);
      int carried = -1; // the unit whose last rows carry holds
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
        int inBase = sample * g.inputSize();
        int runCount = paddingRuns(iyA, iyB, iyLo, runs);
        int positions = rows * rowW;
        boolean reuse = carries && carried == u - 1 && band > 0;
        // With the rows carried over, the expansion starts at the tile that holds the third row.
        int fromCol = reuse ? 2 * rowW / NR * NR : 0;
        int stageFrom = reuse ? Math.max(iyA, iyLo + 2) : iyA;
        if (expand) {
          for (int ch = 0; ch < c; ch++) {
            fillPlanes(
                input, inBase + ch * hw + stageFrom * w, stageFrom, iyB, iyLo, in, ch * inLd);
          }
        }
        Arrays.fill(out, 0, oPanels * MR * dLd, 0f);
        for (int e0 = 0; e0 < e; e0 += group) {
          int e1 = Math.min(e, e0 + group);
          if (expand) {
            expandPlanes(in, e0, e1, hid, fromCol);
          } else {
            for (int ch = e0; ch < e1; ch++) {
              fillPlanes(input, inBase + ch * hw + iyA * w, iyA, iyB, iyLo, hid, (ch - e0) * hidLd);
            }
          }
          for (int ch = e0; ch < e1; ch++) {
            int at = (ch - e0) * hidLd;
            if (reuse) {
              System.arraycopy(carry, ch * 2 * rowW, hid, at, 2 * rowW);
            }
            // The padding cells: zeros, whatever the expansion made of the staged input there.
            for (int q = 0; q < runCount; q += 2) {
              Arrays.fill(hid, at + runs[q], at + runs[q] + runs[q + 1], 0f);
            }
            if (carries) {
              System.arraycopy(hid, at + rows * rowW, carry, ch * 2 * rowW, 2 * rowW);
            }
            // Bias and ReLU6 in the kernel: its whole last step too, whose columns past the band's
            // positions feed only projection columns that are never stored.
            int d = (ch - e0) * dLd;
            for (int col = 0; col < positions; col += COLUMNS) {
              VectorDepthwise.kernelRelu6(
                  dw, ch * 9, hid, at + col, kOffD, 9, biasD[ch], dwOut, d + col);
            }
          }
          // The group's share of the projection: K steps e0..e1 of every output panel, over the
          // depthwise output's positions (rowW - OW of each row unused).
          int bOff = -e0 * dLd;
          for (int col = 0; col < positions; col += NR) {
            for (int p = 0; p < oPanels; p++) {
              if (VectorExpansion.HAS_KERNEL) {
                VectorExpansion.addSums(
                    packedP,
                    p * MR * e + e0 * MR,
                    dwOut,
                    col,
                    dLd,
                    e1 - e0,
                    out,
                    p * MR * dLd + col,
                    dLd);
                continue;
              }
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
        carried = u;
        int outBase = sample * outStride + outOff + oy0 * ow;
        int resBase = sample * g.outputSize() + oy0 * ow;
        for (int oc = 0; oc < o; oc++) {
          for (int rr = 0; rr < rows; rr++) {
            VectorEpilogue.store(
                out,
                oc * dLd + rr * rowW,
                output,
                outBase + oc * plane + rr * ow,
                ow,
                biasP[oc],
                residual,
                resBase + oc * plane + rr * ow,
                Activation.NONE);
          }
        }
      }
    }

    /**
     * The cells of one channel's phase planes that lie outside input rows {@code [iyA, iyB)} or
     * outside the input's columns, as (offset, length) pairs into {@code runs}; returns how many
     * ints it wrote.
     */
    private int paddingRuns(int iyA, int iyB, int iyLo, int[] runs) {
      int count = 0;
      int planeSize = rowH * rowW;
      for (int a = 0; a < s; a++) {
        for (int pr = 0; pr < rowH; pr++) {
          int iy = pr * s + a + iyLo;
          for (int b = 0; b < s; b++) {
            int rowStart = (a * s + b) * planeSize + pr * rowW;
            if (iy < iyA || iy >= iyB) {
              runs[count++] = rowStart;
              runs[count++] = rowW;
              continue;
            }
            // Padded column pc * s + b holds input column pc * s + b - 1, inside for 1..W.
            int first = b >= 1 ? 0 : 1; // the first plane column inside the input
            int end = Math.min(rowW, Math.floorDiv(w - b, s) + 1); // one past the last
            if (end <= first) {
              runs[count++] = rowStart;
              runs[count++] = rowW;
              continue;
            }
            if (first > 0) {
              runs[count++] = rowStart;
              runs[count++] = first;
            }
            if (end < rowW) {
              runs[count++] = rowStart + end;
              runs[count++] = rowW - end;
            }
          }
        }
      }
      return count;
    }

    /**
     * Hidden channels {@code [e0, e1)} of the staged input's planes from column {@code fromCol}
     * (every cell: the expansion is pointwise), with bias and ReLU6, into {@code hid}.
     */
    private void expandPlanes(float[] in, int e0, int e1, float[] hid, int fromCol) {
      int panelFrom = e0 / MR;
      int panelTo = (e1 + MR - 1) / MR;
      if (VectorExpansion.HAS_KERNEL) {
        // Sums from zero over all of K, bias and ReLU6 in the kernel: no zeroing or bias pass.
        for (int col = fromCol; col < inLd; col += NR) {
          for (int p = panelFrom; p < panelTo; p++) {
            VectorExpansion.expand(
                packedE,
                p * MR * c,
                in,
                col,
                inLd,
                c,
                biasE,
                p * MR,
                hid,
                (p * MR - e0) * hidLd + col,
                hidLd);
          }
        }
        return;
      }
      for (int r = 0; r < (panelTo - panelFrom) * MR; r++) {
        Arrays.fill(hid, r * hidLd + fromCol, r * hidLd + inLd, 0f);
      }
      for (int col = fromCol; col < inLd; col += NR) {
        for (int p = panelFrom; p < panelTo; p++) {
          for (int k0 = 0; k0 < c; k0 += kc) {
            VectorGemm.directKernel(
                packedE,
                p * MR * c + k0 * MR,
                in,
                col,
                kOffIn,
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
        VectorGemm.biasActivate(
            hid, off + fromCol, hid, off + fromCol, inLd - fromCol, biasE[ch], Activation.RELU6);
      }
    }

    /**
     * Input rows {@code [iyA, iyB)} of one channel ({@code w} floats each from {@code at}) into its
     * phase planes at {@code dst[dstOff]}, laid out {@code (s, s, rowH, rowW)} from padded row
     * {@code iyLo + 1}; the padding cells are left as they are.
     */
    private void fillPlanes(
        float[] src, int at, int iyA, int iyB, int iyLo, float[] dst, int dstOff) {
      int planeSize = rowH * rowW;
      for (int iy = iyA; iy < iyB; iy++) {
        int py = iy - iyLo;
        int rowBase = dstOff + (py % s) * s * planeSize + py / s * rowW;
        int x0 = at + (iy - iyA) * w;
        if (s == 1) {
          System.arraycopy(src, x0, dst, rowBase + 1, w);
        } else if (s == 2) {
          // Padded column x + 1: odd for even x (phase 1, column x / 2), even for odd x.
          int a = rowBase + planeSize;
          int b = rowBase + 1;
          int x = 0;
          for (; x + 1 < w; x += 2) {
            dst[a++] = src[x0 + x];
            dst[b++] = src[x0 + x + 1];
          }
          if (x < w) {
            dst[a] = src[x0 + x];
          }
        } else {
          for (int x = 0; x < w; x++) {
            int xx = x + 1;
            dst[rowBase + xx % s * planeSize + xx / s] = src[x0 + x];
          }
        }
      }
    }
  }
}
