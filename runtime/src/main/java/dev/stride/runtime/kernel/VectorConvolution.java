package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.MR;
import static dev.stride.runtime.kernel.VectorGemm.NR;

/**
 * Vector API convolution: {@code input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) -> (N, OC,
 * OH, OW)}, as one GEMM per group, {@code C[OCg, N*OH*OW] = W[OCg, K] x col[K, N*OH*OW]} with
 * {@code K = C/g * KH * KW}.
 *
 * <p>Design (the measurements behind each choice are in docs/performance-notes.md and the commit
 * messages):
 *
 * <ul>
 *   <li>Weights are packed once into {@link VectorGemm#MR}-row panels, k-major, rows past OC/g
 *       zero, so the 8 x 48 micro-kernel (a kc x 48 B panel in L1, weight panels streamed from L2)
 *       needs no row tail. Stride-1 layers with at most 6 output channels (LeNet's first) use a 6 x
 *       64 kernel on a 6-row panel instead, so no FMA goes to zero rows (see {@link
 *       VectorGemm#directKernel6}).
 *   <li>The im2col operand is never materialised whole. Each task first copies the samples it
 *       touches into a per-thread zero-padded buffer (one cheap pass), then packs {@link #TILES}
 *       48-column tiles for one K block ({@code kc <= 256}, a 48 KB panel per tile) straight from
 *       it: with unit stride every output-row run is a few whole-vector copies with no bounds tests
 *       (cheaper than clipped {@code arraycopy} runs of a few floats), other strides a plain
 *       gather. Columns run over batch and space together, so AlexNet's 12 x 12 late layers fill
 *       tiles at batch 32. Padding, stride, dilation, groups and sample boundaries are all handled
 *       while packing; a 1x1 conv packs plain copies of its input rows.
 *   <li>Partial sums for K blocks live in a per-thread C block; after the last block the output
 *       pass adds the bias and applies the activation while writing (N, OC, OH, OW), so the output
 *       is written once.
 *   <li>Work is split over column tiles into 4 chunks per thread for {@link Parallel#forEach}; when
 *       there are too few tiles (batch 1 on a 12 x 12 output: 3 tiles) the weight panels are split
 *       as well, into just enough chunks to occupy every thread, since each such chunk packs its
 *       tiles again. Layers under {@link #INLINE_FLOPS} run on the calling thread.
 *   <li>Limits: large layers are bound by the cores' FMA throughput. Strided layers skip im2col
 *       through phase planes (see {@link Layer#wide}), which saves the gather; a large strided
 *       output written a few hundred bytes per channel plane at a time still pays in store misses.
 * </ul>
 */
final class VectorConvolution {
  /**
   * K block, from L1 ({@link GemmGeometry#kc}): the packed B panel stays in L1 beside the weight
   * block.
   */
  static final int KC = VectorGemm.KC;

  /** Below this many FLOPs a layer runs inline; a pool hand-off costs a few microseconds. */
  static final long INLINE_FLOPS = 2_000_000;

  /**
   * Column tiles per pass over the weights, from L2 ({@link GemmGeometry#tiles}): each MR x kc
   * weight block is then read once per pass and reused from L1, while the packed B panels sit in
   * L2; without it every tile re-streams all the weights of a large layer from L3 or memory.
   */
  static final int TILES = VectorGemm.TILES;

  /** Room for one tile's segments in the scratch arrays: at most NR runs plus the end marker. */
  static final int SEG = NR + 1;

  /**
   * Largest output channel count (per group) for the wide path: with so few weight rows the GEMM
   * does little work per packed B element, so packing would dominate.
   */
  static final int WIDE_MAX_OUT = 32;

  /**
   * Fewest output positions for a 1x1, stride-1 layer with many output channels to take the wide
   * path anyway: on planes this large (MobileNetV2's 112 x 112 and 56 x 56 expansions) packing
   * copies of the whole input cost more than the kernel gains from packed panels.
   */
  static final int WIDE_MIN_POINTWISE_PLANE = 2048;

  /**
   * Fewest weight panels for a wide layer to pack its B rows: the copy then costs a small share of
   * the kernel's reads of them. Overridable with {@code -Dstride.packWidePanels}.
   */
  static final int PACK_WIDE_PANELS = Integer.getInteger("stride.packWidePanels", 4);

  /**
   * A stride-1 layer with a kernel larger than 1x1 takes the wide path when at most one column in
   * this many of its wide rows is unused ({@code padW - OW} of {@code padW}): on ResNet-18's 56 x
   * 56 planes two vector copies per packed B row cost less than im2col's per-row runs, while on 13
   * x 13 or 27 x 27 planes the unused columns cost more than packing saves.
   */
  static final int WIDE_ROW_WASTE = 12;

  /** Wide tiles per output pass; see {@link Layer#computeWide}. */
  static final int WIDE_GROUP = 4;

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

    /**
     * K blocks of the wide path: a tile's kc x NR B rows, packed or read in place, stay in half of
     * L1 while every weight panel streams past them from L2.
     */
    private final int wideBlocks;

    private final int wideKc;

    /** Height and width of the zero-padded input copy that packing reads. */
    private final int padH;

    private final int padW;

    /**
     * Layers that skip im2col ("wide"): stride-1 layers with few output channels, and every strided
     * layer without groups. The GEMM's columns are positions {@code oy * rowW + ox} of a plane of
     * the padded input (including {@code rowW - OW} unused columns per row), so tap {@code k}'s B
     * row is the plane itself at offset {@code kOff[k]} and the micro-kernel reads it in place. At
     * stride 1 the plane is the padded input ({@code rowW = padW}). At stride {@code (sh, sw)} the
     * padded input is first split into {@code sh x sw} phase planes by row and column remainder
     * ({@code rowW = ceil(padW / sw)}): tap {@code (ky, kx)} of output {@code (oy, ox)} reads
     * padded {@code (oy * sh + ky * dh, ox * sw + kx * dw)}, which is phase {@code (ky * dh % sh,
     * kx * dw % sw)} at {@code (oy + ky * dh / sh, ox + kx * dw / sw)}, so consecutive outputs read
     * consecutive floats again. AlexNet's conv1 (11 x 11, stride 4) had spent as long gathering
     * every fourth float into im2col panels as multiplying.
     */
    private final boolean wide;

    /**
     * Wide layers at stride above 1 split the padded input into phase planes; see {@link #wide}.
     */
    private final boolean phased;

    /** Rows and columns of one (phase) plane that wide columns index; see {@link #wide}. */
    private final int rowH;

    private final int rowW;

    private final int[] kOff;

    /**
     * Which phase planes {@code py * sw + px} any tap reads: a 1x1 stride-2 layer reads one of its
     * four, so {@link #splitPhases} fills only that one.
     */
    private final boolean[] phaseUsed;

    /** The largest tap row shift in plane rows, {@code (KH - 1) * dh / sh}. */
    private final int maxShiftY;

    /**
     * A wide layer with at most {@link VectorGemm#MR6} output channels runs {@link
     * VectorGemm#directKernel6} on {@code packed6} (one 6-row panel, k-major) instead, so that no
     * FMA goes to the two zero rows an 8-row panel would carry.
     */
    private final boolean six;

    private final float[] packed6;

    /**
     * A wide layer with at least {@link #PACK_WIDE_PANELS} weight panels copies each tile's B rows
     * into a packed panel once per K block (see {@link #packWideB}) and runs the packed
     * micro-kernel over every panel: read in place, a tile's rows are scattered lines of the padded
     * input, too many for L1 at large K, so each panel would fetch them again from L2.
     */
    private final boolean packWide;

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
      int wideMax = (int) Math.max(64, Math.min(KC, VectorGemm.GEOMETRY.l1() / 2 / (4L * NR)));
      this.wideBlocks = (k + wideMax - 1) / wideMax;
      this.wideKc = (k + wideBlocks - 1) / wideBlocks;
      // Every row/column any tap reads, from -padTop/-padLeft up, with zeros outside the input.
      int bottom =
          (g.outHeight() - 1) * g.strideHeight() + (g.kernelHeight() - 1) * g.dilationHeight() + 1;
      int right =
          (g.outWidth() - 1) * g.strideWidth() + (g.kernelWidth() - 1) * g.dilationWidth() + 1;
      this.padH = Math.max(bottom, g.padTop() + g.inHeight());
      this.padW = Math.max(right, g.padLeft() + g.inWidth());
      int sh = g.strideHeight();
      int sw = g.strideWidth();
      this.phased = groups == 1 && (sh > 1 || sw > 1);
      boolean pointwise =
          k == g.inChannels() && g.padTop() == 0 && g.padLeft() == 0 && sh == 1 && sw == 1;
      this.wide =
          phased
              || (groups == 1
                  && kernelArea > 1
                  && (padW - g.outWidth()) * WIDE_ROW_WASTE <= g.outWidth())
              || (groups == 1 && outPerGroup <= WIDE_MAX_OUT)
              || (groups == 1
                  && pointwise
                  && g.outHeight() * g.outWidth() >= WIDE_MIN_POINTWISE_PLANE);
      this.rowH = (padH + sh - 1) / sh;
      this.rowW = (padW + sw - 1) / sw;
      this.maxShiftY = (g.kernelHeight() - 1) * g.dilationHeight() / sh;
      this.kOff = new int[k];
      this.phaseUsed = new boolean[sh * sw];
      for (int kk = 0; kk < k; kk++) {
        int channel = kk / kernelArea;
        int tap = kk - channel * kernelArea;
        int dy = tap / g.kernelWidth() * g.dilationHeight();
        int dx = tap % g.kernelWidth() * g.dilationWidth();
        // Phase plane (dy % sh, dx % sw) of the channel, shifted by (dy / sh, dx / sw).
        int plane = (channel * sh + dy % sh) * sw + dx % sw;
        phaseUsed[dy % sh * sw + dx % sw] = true;
        kOff[kk] = plane * rowH * rowW + dy / sh * rowW + dx / sw;
      }
      this.six = wide && outPerGroup <= VectorGemm.MR6;
      this.packed6 = six ? new float[VectorGemm.MR6 * k] : null;
      this.packWide = wide && !six && panels >= PACK_WIDE_PANELS;
      if (six) {
        for (int r = 0; r < outPerGroup; r++) {
          for (int kk = 0; kk < k; kk++) {
            packed6[kk * VectorGemm.MR6 + r] = weight[r * k + kk];
          }
        }
      }
      this.packed = new float[Math.multiplyExact(groups * panels * MR, k)];
      for (int gr = 0; gr < groups; gr++) {
        VectorGemm.packRowPanels(
            weight, gr * outPerGroup * k, outPerGroup, k, packed, gr * panels * MR * k);
      }
    }

    @Override
    public void run(float[] input, int n, float[] output) {
      run(input, n, output, 0, g.outChannels(), null);
    }

    @Override
    public boolean rebuildsWeight() {
      return true;
    }

    // packed (groups x panels of MR rows, k-major) -> weight (OC, C/g, KH, KW)
    @Override
    public float[] weight() {
      float[] weight = new float[g.weightSize()];
      for (int gr = 0; gr < groups; gr++) {
        VectorGemm.unpackRowPanels(
            packed, gr * panels * MR * k, outPerGroup, k, weight, gr * outPerGroup * k);
      }
      return weight;
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
      // Sample s, channel oc of the layer lands at s * outStride + outOff + oc * plane.
      int outStride = outChannels * plane;
      int outOff = outChannelOffset * plane;
      long columns = (long) n * g.outHeight() * g.outWidth();
      int tiles = Math.toIntExact((columns + NR - 1) / NR);
      int units = groups * tiles;
      double flops = 2.0 * g.outChannels() * k * columns;
      int threads = Parallel.threads();
      if (wide) {
        int wideNr = six ? VectorGemm.NR6 : NR;
        int wideTiles = (g.outHeight() * rowW + wideNr - 1) / wideNr;
        int wideUnits = n * wideTiles;
        int chunks = threads == 1 || flops < INLINE_FLOPS ? 1 : Math.min(wideUnits, threads * 4);
        // Whole samples per chunk when there are enough, so each chunk can run sigmoid/tanh over
        // its finished samples' contiguous output (still in L2) instead of over C's whole rows,
        // which would also compute the unused columns. That pass is in wideChunk rather than
        // computeWide: inlined into computeWide's compilation, the sigmoid loop could leave C2 on
        // JDK 17 boxing vectors once another network's layer had been through computeWide.
        boolean bySample = n >= chunks;
        Activation tileActivation = bySample ? VectorGemm.tilePass(activation) : activation;
        boolean squashLater = tileActivation != activation;
        if (chunks == 1) {
          // On this thread, without a task object (LeNet at batch 1).
          wideChunk(
              input,
              output,
              outStride,
              outOff,
              residual,
              n,
              0,
              1,
              wideTiles,
              squashLater,
              tileActivation);
        } else {
          Parallel.forEach(
              chunks,
              i ->
                  wideChunk(
                      input,
                      output,
                      outStride,
                      outOff,
                      residual,
                      n,
                      i,
                      chunks,
                      wideTiles,
                      squashLater,
                      tileActivation));
        }
        return;
      }
      if (threads == 1 || flops < INLINE_FLOPS) {
        compute(input, n, output, outStride, outOff, residual, tiles, 0, units, 0, panels);
        return;
      }
      // Four column chunks per thread let the pool even out uneven chunks; splitting weight panels
      // as well costs a repack of the tile per chunk, so rows
      // are split only as far as needed to give every thread work: two row chunks per thread.
      int target = threads * 4;
      if (units >= target) {
        // Column tiles only: every task packs its own B panels once and runs all weight panels.
        Parallel.forEach(
            target,
            i -> {
              int from = (int) ((long) units * i / target);
              int to = (int) ((long) units * (i + 1) / target);
              compute(input, n, output, outStride, outOff, residual, tiles, from, to, 0, panels);
            });
      } else {
        // Too few tiles (batch 1 on a 12 x 12 output): also split the weight panels.
        int rowChunks = Math.min(panels, (2 * threads + units - 1) / units);
        Parallel.forEach(
            units * rowChunks,
            i -> {
              int unit = i / rowChunks;
              int chunk = i % rowChunks;
              int from = panels * chunk / rowChunks;
              int to = panels * (chunk + 1) / rowChunks;
              compute(
                  input, n, output, outStride, outOff, residual, tiles, unit, unit + 1, from, to);
            });
      }
    }

    /**
     * Chunk {@code i} of {@code chunks} of the wide tiles: whole samples when there are at least as
     * many samples as chunks, else a share of the tiles; then sigmoid/tanh over the chunk's samples
     * when {@code squashLater}.
     */
    private void wideChunk(
        float[] input,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int n,
        int i,
        int chunks,
        int wideTiles,
        boolean squashLater,
        Activation tileActivation) {
      int from;
      int to;
      if (n >= chunks) {
        from = (int) ((long) n * i / chunks) * wideTiles;
        to = (int) ((long) n * (i + 1) / chunks) * wideTiles;
      } else {
        long units = (long) n * wideTiles;
        from = (int) (units * i / chunks);
        to = (int) (units * (i + 1) / chunks);
      }
      computeWide(input, output, outStride, outOff, residual, wideTiles, from, to, tileActivation);
      if (squashLater) {
        for (int sample = from / wideTiles; sample < to / wideTiles; sample++) {
          VectorGemm.squash(output, sample * outStride + outOff, g.outputSize(), activation);
        }
      }
    }

    /** Column units {@code [unitFrom, unitTo)} (group-major) times weight panels. */
    private void compute(
        float[] input,
        int n,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int tiles,
        int unitFrom,
        int unitTo,
        int panelFrom,
        int panelTo) {
      if (panelFrom >= panelTo) {
        return;
      }
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      // + L: the vector copies in packB may run up to one vector past the panel's end
      float[] b = s.b(TILES * kc * NR + VectorGemm.L);
      int rows = (panelTo - panelFrom) * MR;
      int ldc = TILES * NR;
      float[] c = s.c(rows * ldc);
      int plane = g.outHeight() * g.outWidth();
      int padSample = channelsPerGroup * padH * padW;
      // Pad up to ~4 MB of samples at a time (whole task at batch 32), at least the tile's.
      int padCap = Math.max(1, (1 << 20) / padSample);
      int padGroup = -1;
      int padFrom = 0;
      int padTo = 0;
      int lastGroup = (unitTo - 1) / tiles;
      int lastSample = lastSample(n, (unitTo - 1) - lastGroup * tiles, plane);
      float[] pad = null;
      int[] segCount = s.segCount;
      for (int u = unitFrom; u < unitTo; ) {
        int group = u / tiles;
        int tile0 = u - group * tiles;
        int count = Math.min(TILES, Math.min(unitTo - u, tiles - tile0));
        u += count;
        for (int t = 0; t < count; t++) {
          segCount[t] = segments(s, n, tile0 + t, t * SEG);
        }
        int first = s.segSample[0];
        int last = s.segSample[(count - 1) * SEG + segCount[count - 1] - 1];
        if (group != padGroup || first < padFrom || last >= padTo) {
          int upTo = group == lastGroup ? lastSample + 1 : n;
          padGroup = group;
          padFrom = first;
          padTo = Math.max(last + 1, Math.min(upTo, first + padCap));
          pad = s.pad((padTo - padFrom) * padSample + VectorGemm.L);
          pad(input, group, padFrom, padTo, pad);
        }
        for (int t = 0; t < count; t++) {
          for (int q = t * SEG, end = q + segCount[t]; q < end; q++) {
            int oy = s.segPos[q] / g.outWidth();
            int ox = s.segPos[q] - oy * g.outWidth();
            s.segSrc[q] =
                (s.segSample[q] - padFrom) * padSample
                    + oy * g.strideHeight() * padW
                    + ox * g.strideWidth();
          }
        }
        java.util.Arrays.fill(c, 0, (panelTo - panelFrom) * MR * ldc, 0f);
        for (int kb = 0; kb < kBlocks; kb++) {
          int k0 = kb * kc;
          int kLen = Math.min(kc, k - k0);
          for (int t = 0; t < count; t++) {
            packB(s, t * SEG, segCount[t], pad, k0, kLen, b, t * kLen * NR);
          }
          int aBase = (group * panels) * MR * k + k0 * MR;
          // Each 8-row weight block is read once per pass and reused from L1 for every tile.
          for (int p = panelFrom; p < panelTo; p++) {
            for (int t = 0; t < count; t++) {
              VectorGemm.microKernel(
                  packed,
                  aBase + p * MR * k,
                  b,
                  t * kLen * NR,
                  kLen,
                  c,
                  (p - panelFrom) * MR * ldc + t * NR,
                  ldc);
            }
          }
        }
        for (int t = 0; t < count; t++) {
          store(
              s,
              t * SEG,
              segCount[t],
              c,
              t * NR,
              ldc,
              panelFrom,
              panelTo,
              group,
              output,
              outStride,
              outOff,
              residual);
        }
      }
    }

    /**
     * Wide tiles {@code [from, to)}, sample-major ({@code wideTiles} per sample), with {@code
     * tileActivation} applied in the output pass; see {@link #wide}.
     */
    private void computeWide(
        float[] input,
        float[] output,
        int outStride,
        int outOff,
        float[] residual,
        int wideTiles,
        int from,
        int to,
        Activation tileActivation) {
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      int padSample = channelsPerGroup * g.strideHeight() * g.strideWidth() * rowH * rowW;
      // The last tile's unused columns read past the sample, by less than NR + rowW (the column
      // overrun plus the widest tap shift, which stays inside the last plane's rows): zeros.
      int nr = six ? VectorGemm.NR6 : NR;
      int mr = six ? VectorGemm.MR6 : MR;
      int slack = nr + rowW + VectorGemm.L;
      float[] pad = s.pad(padSample + slack);
      int rows = six ? mr : panels * MR;
      float[] c = s.c(rows * WIDE_GROUP * nr);
      float[] bp = packWide ? s.b(wideKc * NR) : null;
      int ow = g.outWidth();
      int oh = g.outHeight();
      int plane = oh * ow;
      int padded = -1;
      for (int u = from; u < to; ) {
        int sample = u / wideTiles;
        int tile = u - sample * wideTiles;
        int count = Math.min(WIDE_GROUP, Math.min(to - u, wideTiles - tile));
        u += count;
        int col0 = tile * nr;
        int width = count * nr;
        if (sample != padded) {
          // Only the plane rows this task's tiles of the sample read: at batch 1 the tasks share
          // one sample, and each splitting all of it would cost as much as the GEMM.
          int lastTile = Math.min(to - 1, (sample + 1) * wideTiles - 1) - sample * wideTiles;
          int rowTo = Math.min(rowH, ((lastTile + 1) * nr - 1) / rowW + 1 + maxShiftY + 1);
          splitPhases(input, sample, col0 / rowW, rowTo, pad);
          java.util.Arrays.fill(pad, padSample, padSample + slack, 0f);
          padded = sample;
        }
        // C is rows x width: the group's tiles side by side.
        java.util.Arrays.fill(c, 0, rows * width, 0f);
        for (int t = 0; t < count; t++) {
          for (int kb = 0; kb < wideBlocks; kb++) {
            int k0 = kb * wideKc;
            int kLen = Math.min(wideKc, k - k0);
            int col = col0 + t * nr;
            if (six) {
              VectorGemm.directKernel6(
                  packed6, k0 * mr, pad, col, kOff, k0, kLen, c, t * nr, width);
            } else if (packWide) {
              packWideB(pad, col, k0, kLen, bp);
              for (int p = 0; p < panels; p++) {
                VectorGemm.microKernel(
                    packed, p * MR * k + k0 * MR, bp, 0, kLen, c, p * MR * width + t * nr, width);
              }
            } else {
              for (int p = 0; p < panels; p++) {
                VectorGemm.directKernel(
                    packed,
                    p * MR * k + k0 * MR,
                    pad,
                    col,
                    kOff,
                    k0,
                    kLen,
                    c,
                    p * MR * width + t * nr,
                    width);
              }
            }
          }
        }
        // Bias and activation over whole rows of C in place (full vectors, no tails; unused
        // columns are computed and dropped), then plain copies of each output row's first OW
        // columns: per output row (10 or 28 floats in LeNet) the activation's partial vectors and
        // per-call overhead cost more than the GEMM. Several tiles per pass make the copies into
        // each channel's plane longer: AlexNet's conv1 writes 96 planes, and one tile's 48 floats
        // per plane left the stores waiting on cache misses once the output outgrew L2.
        int oyFrom = col0 / rowW;
        int oyTo = Math.min(oh, (col0 + width + rowW - 1) / rowW);
        for (int r = 0; r < outPerGroup; r++) {
          float bv = bias == null ? 0f : bias[r];
          int outBase = sample * outStride + outOff + r * plane;
          if (residual != null) {
            // The residual is laid out as the output, not as C's rows: the pass goes row by row.
            int resBase = sample * g.outputSize() + r * plane;
            for (int oy = oyFrom; oy < oyTo; oy++) {
              int x0 = Math.max(col0, oy * rowW);
              int x1 = Math.min(col0 + width, oy * rowW + ow);
              if (x0 < x1) {
                int at = oy * ow + (x0 - oy * rowW);
                VectorEpilogue.biasResidualActivate(
                    c,
                    r * width + x0 - col0,
                    output,
                    outBase + at,
                    x1 - x0,
                    bv,
                    residual,
                    resBase + at,
                    tileActivation);
              }
            }
            continue;
          }
          VectorGemm.biasActivate(c, r * width, c, r * width, width, bv, tileActivation);
          for (int oy = oyFrom; oy < oyTo; oy++) {
            int x0 = Math.max(col0, oy * rowW);
            int x1 = Math.min(col0 + width, oy * rowW + ow);
            if (x0 < x1) {
              System.arraycopy(
                  c, r * width + x0 - col0, output, outBase + oy * ow + (x0 - oy * rowW), x1 - x0);
            }
          }
        }
      }
    }

    /**
     * Copies rows {@code [k0, k0 + kLen)} of the wide B operand at column {@code col} into a packed
     * {@code kLen x NR} panel: the same floats {@link VectorGemm#directKernel} would read in place.
     */
    private void packWideB(float[] pad, int col, int k0, int kLen, float[] bp) {
      for (int kk = 0; kk < kLen; kk++) {
        int src = col + kOff[k0 + kk];
        int dst = kk * NR;
        for (int v = 0; v < NR; v += VectorGemm.L) {
          VectorGemm.copy(pad, src + v, bp, dst + v);
        }
      }
    }

    /** The sample of the last column of {@code tile}. */
    private static int lastSample(int n, int tile, int plane) {
      long end = Math.min((long) (tile + 1) * NR, (long) n * plane);
      return (int) ((end - 1) / plane);
    }

    /**
     * Copies channels of {@code group} for samples {@code [from, to)} into {@code pad} as {@code
     * (to - from, C/g, padH, padW)} with zeros around the input, so packing needs no bounds tests.
     */
    private void pad(float[] input, int group, int from, int to, float[] pad) {
      int h = g.inHeight();
      int w = g.inWidth();
      int padPlane = padH * padW;
      java.util.Arrays.fill(pad, 0, (to - from) * channelsPerGroup * padPlane, 0f);
      for (int sample = from; sample < to; sample++) {
        for (int ci = 0; ci < channelsPerGroup; ci++) {
          int src = sample * g.inputSize() + (group * channelsPerGroup + ci) * h * w;
          int dst =
              ((sample - from) * channelsPerGroup + ci) * padPlane
                  + g.padTop() * padW
                  + g.padLeft();
          for (int y = 0; y < h; y++) {
            System.arraycopy(input, src + y * w, pad, dst + y * padW, w);
          }
        }
      }
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of every phase plane of {@code sample} (see {@link #wide}) into
     * {@code pad}, laid out {@code (C, sh, sw, rowH, rowW)}, with zeros where the padded input is
     * padding.
     */
    private void splitPhases(float[] input, int sample, int rowFrom, int rowTo, float[] pad) {
      int h = g.inHeight();
      int w = g.inWidth();
      int sh = g.strideHeight();
      int sw = g.strideWidth();
      for (int ci = 0; ci < channelsPerGroup; ci++) {
        int src = sample * g.inputSize() + ci * h * w;
        for (int py = 0; py < sh; py++) {
          for (int px = 0; px < sw; px++) {
            if (!phaseUsed[py * sw + px]) {
              continue;
            }
            int plane = ((ci * sh + py) * sw + px) * rowH * rowW;
            // Plane column j holds input column j * sw + px - padLeft: inside for [jFrom, jTo).
            int jFrom = Math.min(rowW, Math.max(0, ceilDiv(g.padLeft() - px, sw)));
            int jTo = Math.max(jFrom, Math.min(rowW, ceilDiv(w + g.padLeft() - px, sw)));
            for (int row = rowFrom; row < rowTo; row++) {
              int dst = plane + row * rowW;
              int y = row * sh + py - g.padTop();
              if (y < 0 || y >= h) {
                java.util.Arrays.fill(pad, dst, dst + rowW, 0f);
                continue;
              }
              java.util.Arrays.fill(pad, dst, dst + jFrom, 0f);
              int x = src + y * w + jFrom * sw + px - g.padLeft();
              if (sw == 1) {
                System.arraycopy(input, x, pad, dst + jFrom, jTo - jFrom);
              } else {
                for (int j = jFrom; j < jTo; j++, x += sw) {
                  pad[dst + j] = input[x];
                }
              }
              java.util.Arrays.fill(pad, dst + jTo, dst + rowW, 0f);
            }
          }
        }
      }
    }

    /** {@code ceil(a / b)} for {@code b > 0} and any sign of {@code a}. */
    private static int ceilDiv(int a, int b) {
      return -Math.floorDiv(-a, b);
    }

    /**
     * Splits the tile's columns into runs sharing one sample and output row, recording for each the
     * tile column it starts at, its length, its sample and its output position {@code oy*OW+ox}.
     * Returns the count; {@code segJ[count]} is the number of valid columns.
     */
    private int segments(VectorGemm.Scratch s, int n, int tile, int base) {
      int ow = g.outWidth();
      int plane = g.outHeight() * ow;
      long total = (long) n * plane;
      long col = (long) tile * NR;
      long end = Math.min(col + NR, total);
      int count = base;
      int j = 0;
      while (col < end) {
        int sample = (int) (col / plane);
        int pos = (int) (col - (long) sample * plane);
        int ox = pos % ow;
        int len = (int) Math.min(ow - ox, end - col);
        s.segJ[count] = j;
        s.segLen[count] = len;
        s.segSample[count] = sample;
        s.segPos[count] = pos;
        count++;
        j += len;
        col += len;
      }
      s.segJ[count] = j;
      return count - base;
    }

    /**
     * im2col for rows {@code [k0, k0 + kLen)} of the tile from the padded input: {@code b[kk * NR +
     * j]}, columns past the valid ones zero. With unit stride each run is whole-vector copies that
     * may overrun its end (the next run, or the zeroing of the tail, overwrites the overrun), which
     * avoids the bounds tests or arraycopy calls that would dominate runs this short.
     */
    private void packB(
        VectorGemm.Scratch s,
        int base,
        int segments,
        float[] pad,
        int k0,
        int kLen,
        float[] b,
        int bOff) {
      final int kw = g.kernelWidth();
      final int sw = g.strideWidth();
      final int rowStep = g.dilationHeight() * padW;
      final int dw = g.dilationWidth();
      final int padPlane = padH * padW;
      final int valid = s.segJ[base + segments];
      final int[] segJ = s.segJ;
      final int[] segLen = s.segLen;
      final int[] segSrc = s.segSrc;
      int channel = k0 / kernelArea;
      int tap = k0 - channel * kernelArea;
      int ky = tap / kw;
      int kx = tap - ky * kw;
      for (int kk = 0; kk < kLen; kk++) {
        int dst = bOff + kk * NR;
        int off = channel * padPlane + ky * rowStep + kx * dw;
        if (sw == 1) {
          for (int q = base; q < base + segments; q++) {
            int src = segSrc[q] + off;
            int d = dst + segJ[q];
            int len = segLen[q];
            for (int j = 0; j < len; j += VectorGemm.L) {
              VectorGemm.copy(pad, src + j, b, d + j);
            }
          }
        } else {
          for (int q = base; q < base + segments; q++) {
            int src = segSrc[q] + off;
            int d = dst + segJ[q];
            int len = segLen[q];
            for (int j = 0; j < len; j++) {
              b[d + j] = pad[src + j * sw];
            }
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

    /**
     * The output pass: bias (+ residual) + activation from the C tile into channels of (N,
     * outChannels, OH, OW).
     */
    private void store(
        VectorGemm.Scratch s,
        int base,
        int segments,
        float[] c,
        int cCol,
        int ldc,
        int panelFrom,
        int panelTo,
        int group,
        float[] output,
        int outStride,
        int outOff,
        float[] residual) {
      int plane = g.outHeight() * g.outWidth();
      int rowTo = Math.min(panelTo * MR, outPerGroup);
      for (int r = panelFrom * MR; r < rowTo; r++) {
        int oc = group * outPerGroup + r;
        float bv = bias == null ? 0f : bias[oc];
        int cRow = (r - panelFrom * MR) * ldc + cCol;
        // Consecutive segments of one sample are contiguous in the output: one run each.
        int q = base;
        int end = base + segments;
        while (q < end) {
          int sample = s.segSample[q];
          int q1 = q + 1;
          while (q1 < end && s.segSample[q1] == sample) {
            q1++;
          }
          int j0 = s.segJ[q] - s.segJ[base];
          int at = oc * plane + s.segPos[q];
          VectorEpilogue.store(
              c,
              cRow + j0,
              output,
              sample * outStride + outOff + at,
              s.segJ[q1] - s.segJ[q],
              bv,
              residual,
              sample * g.outputSize() + at,
              activation);
          q = q1;
        }
      }
    }
  }
}
