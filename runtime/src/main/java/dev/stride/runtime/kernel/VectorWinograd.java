package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.L;
import static dev.stride.runtime.kernel.VectorGemm.MR;
import static dev.stride.runtime.kernel.VectorGemm.NR;
import static dev.stride.runtime.kernel.VectorGemm.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * Winograd convolution for square 3x3 and 5x5 filters at stride 1: {@link WinogradMatrices} F(2x2,
 * 3x3) and F(2x2, 5x5) turn each 2 x 2 block of outputs ("tile") into {@code n x n} independent
 * products ({@code n = r + 1}), so the multiply-adds drop from {@code 4 r^2} to {@code n^2} per
 * tile: 2.25x fewer for 3x3, 2.78x for 5x5. The products summed over input channels are {@code n^2}
 * GEMMs, {@code M_xi[OC, tiles] = U_xi[OC, C] x V_xi[C, tiles]}, run on the same 8 x 48
 * micro-kernel as {@link VectorConvolution}, with the transformed filters {@code U} packed once at
 * load and the transformed inputs {@code V} built per 48-tile panel, the way im2col panels are.
 *
 * <p>Layout. Each task copies the samples it needs into a per-thread "phase" buffer: per channel,
 * the zero-padded input split into {@code 2 x 2} planes by row and column parity, each {@code (Ty +
 * A) x (Tx + A)} with {@code Tx = ceil(OW / 2)} tiles per row and {@code A = (n - 1) / 2}. Tile
 * {@code (ty, tx)}'s input value {@code (a, b)} is then at plane {@code (a % 2, b % 2)}, offset
 * {@code (ty + a / 2) * (Tx + A) + tx + b / 2}: numbering tiles {@code ty * (Tx + A) + tx}, the
 * values of 16 consecutive tiles are one unaligned vector load, so both transforms run 16 tiles per
 * instruction. The price is {@code A} unused tile columns per tile row, computed and dropped
 * (AlexNet's 12 x 12 layers: 7 columns for 6 tiles). Rows of at least {@link
 * WinogradMatrices#RUN_PER_ROW_MIN} tiles (AlexNet's 26 x 26: 13) are instead transformed one row
 * at a time, so the GEMM gets no unused columns.
 *
 * <p>Per 48-tile panel: the input transform {@code V = BT d B} for all channels into {@code n^2} B
 * panels; then per block of output channels, the {@code n^2} GEMMs into a {@code M} block that
 * stays in L2, and the output transform {@code Y = AT M A}, bias, activation and the scatter of
 * each tile's 2 x 2 outputs. Work splits over panels, and over output channels when there are fewer
 * panels than 4 per thread (batch 1): then the input transform runs first, once, split over
 * channels into a buffer that every output-channel task reads.
 *
 * <p>Accuracy: the transforms round differently from a direct sum; against double-precision sums
 * the largest error is about 6e-7 (3x3) and 3e-6 (5x5) of the output's magnitude at AlexNet's
 * channel counts, where direct float sums are near 1e-7 (see {@code VectorWinogradTest}).
 */
final class VectorWinograd {
  /** Output-channel rows per GEMM block: {@code n^2} such {@code M} blocks of 48 columns. */
  private static final int BLOCK_FLOATS = 1 << 16;

  /** Fewest filters per thread of a filter transform, so that small layers stay on one. */
  private static final int TRANSFORM_GRAIN = 2048;

  /** A batch that stands for large ones in {@link BySize}'s choice at load. */
  private static final int LARGE_BATCH = 256;

  private VectorWinograd() {}

  /**
   * The layer for {@code w = WinogradMatrices.choose(g)}; when {@link WinogradMatrices#large} has
   * larger tiles for {@code g}, both, each call taking the one with fewer GEMM panel products for
   * its batch (AlexNet's 12 x 12 layers: F(2x2, 3x3) up to batch 2, F(4x4, 3x3) from 3, where its
   * 12 columns per sample start to fill 48-column panels; with 16-column panels, from batch 1).
   * Each tiling's transformed weights (F(2x2, 3x3)'s 1.8x the layer's weights, F(4x4, 3x3)'s 4x)
   * are made by the first call that takes it, so that a model holds only the tilings its batches
   * use; except that a tiling both batch 1 and large batches take is made at load, so that a first
   * call in a fresh JVM does not wait for it (split over the threads either way).
   */
  static PreparedLayer prepareBest(
      Conv2dGeometry g, WinogradMatrices w, float[] weight, float[] bias, Activation activation) {
    WinogradMatrices large = WinogradMatrices.large(g);
    if (large == null) {
      return new Layer(g, w, weight, bias, activation);
    }
    return new BySize(g, w, large, weight, bias, activation);
  }

  /**
   * One panel's runs of whole tiles in one tile row of one sample: start column, length, output
   * index of the first tile's top-left value, valid rows, and valid columns of the run's last tile.
   * One per thread, reused.
   */
  private static final class Runs {
    final int[] column = new int[NR];
    final int[] length = new int[NR];
    final int[] out = new int[NR];
    final int[] sample = new int[NR];
    final int[] rows = new int[NR];
    final int[] lastCols = new int[NR];
    int count;
  }

  /**
   * Where one call's outputs go: sample {@code s}, channel {@code oc}, position {@code p} of the
   * layer at {@code output[s * stride + offset + oc * plane + p]}, and its residual (or null) at
   * {@code residual[s * size + oc * plane + p]}.
   */
  private record Sink(float[] output, int stride, int offset, float[] residual, int size) {}

  private static final ThreadLocal<Runs> RUNS = ThreadLocal.withInitial(Runs::new);

  /**
   * The phase buffer of all of a call's samples, which the call's tasks on every thread read, owned
   * by the calling thread while {@code inUse}.
   */
  private static final class Shared {
    float[] phase = new float[0];
    boolean inUse;
  }

  private static final ThreadLocal<Shared> SHARED = ThreadLocal.withInitial(Shared::new);

  /** Two tilings of one layer, each made on first use; see {@link #prepareBest}. */
  private static final class BySize implements PreparedLayer {
    private final Conv2dGeometry g;
    private final WinogradMatrices smallTiles;
    private final WinogradMatrices largeTiles;
    private final float[] weight;
    private final float[] bias;
    private final Activation activation;
    private volatile Layer small;
    private volatile Layer large;

    BySize(
        Conv2dGeometry g,
        WinogradMatrices smallTiles,
        WinogradMatrices largeTiles,
        float[] weight,
        float[] bias,
        Activation activation) {
      this.g = g;
      this.smallTiles = smallTiles;
      this.largeTiles = largeTiles;
      this.weight = weight;
      this.bias = bias == null ? null : bias.clone();
      this.activation = activation;
      // The tiling that both batch 1 and large batches take is very likely the only one this
      // layer will use: it is made now, at load, and the first call does not wait for it.
      boolean big = takesLarge(1);
      if (big == takesLarge(LARGE_BATCH)) {
        Layer l = new Layer(g, big ? largeTiles : smallTiles, weight, this.bias, activation);
        if (big) {
          large = l;
        } else {
          small = l;
        }
      }
    }

    /** Larger tiles cost about twice as much per tile to transform: they must save 20%. */
    private boolean takesLarge(int samples) {
      return panelProducts(g, largeTiles, samples) * 5 < panelProducts(g, smallTiles, samples) * 4;
    }

    @Override
    public boolean rebuildsWeight() {
      return true;
    }

    @Override
    public float[] weight() {
      return java.util.Arrays.copyOf(weight, g.weightSize());
    }

    @Override
    public void run(float[] input, int samples, float[] output) {
      pick(samples).run(input, samples, output);
    }

    @Override
    public void run(
        float[] input,
        int samples,
        float[] output,
        int outChannelOffset,
        int outChannels,
        float[] residual) {
      pick(samples).run(input, samples, output, outChannelOffset, outChannels, residual);
    }

    private Layer pick(int samples) {
      boolean big = takesLarge(samples);
      Layer l = big ? large : small;
      if (l == null) {
        synchronized (this) {
          l = big ? large : small;
          if (l == null) {
            l = new Layer(g, big ? largeTiles : smallTiles, weight, bias, activation);
            if (big) {
              large = l;
            } else {
              small = l;
            }
          }
        }
      }
      return l;
    }
  }

  /** GEMM work for a batch of {@code g} in tiles {@code w}: products times 48-column panels. */
  static long panelProducts(Conv2dGeometry g, WinogradMatrices w, int samples) {
    long columnsPerSample = (long) ((g.outHeight() + w.m() - 1) / w.m()) * w.rowColumns(g);
    return (long) w.n() * w.n() * ((samples * columnsPerSample + NR - 1) / NR);
  }

  /** The layer for {@code w}, whatever {@link WinogradMatrices#choose} would say (tests). */
  static PreparedLayer prepare(
      Conv2dGeometry g, WinogradMatrices w, float[] weight, float[] bias, Activation activation) {
    return new Layer(g, w, weight, bias, activation);
  }

  private static final class Layer implements PreparedLayer {
    private final Conv2dGeometry g;
    private final Activation activation;
    private final float[] bias;

    /**
     * The weight as given, kept: the transform does not invert exactly in float, and the larger
     * tiles of {@link BySize} are made from it.
     */
    private final float[] weight;

    private final int m;
    private final int n;
    private final int products;
    private final int channels;
    private final int outChannels;
    private final int ocPanels;
    private final int kBlocks;
    private final int kc;
    private final int blockPanels;

    /**
     * 3, 5 or 43 for {@link WinogradMatrices#F2X3} / {@link WinogradMatrices#F2X5} / {@link
     * WinogradMatrices#F4X3}'s unrolled sparse transforms, 6 for the unrolled dense ones of any
     * other 6-point tiles (tests), 0 for the table-driven ones (any other matrices; tests).
     */
    private final int unrolled;

    /** BT and AT as floats, row-major, for the dense 6-point transforms. */
    private final float[] btDense;

    private final float[] atDense;

    /** Tiles per row and per column; unused tile columns per row; phase plane sides and size. */
    private final int tilesX;

    private final int tilesY;
    private final int planeW;
    private final int planeSize;
    private final int columnsPerSample;

    /**
     * GEMM columns per tile row: {@code planeW} (tiles and the unused columns, so that a whole
     * sample is one contiguous run), or just {@code tilesX} when rows are long enough that
     * transforming each row as its own run wastes less than the unused columns would.
     */
    private final int rowColumns;

    private final int sampleFloats;

    /**
     * Transformed filters {@code U_xi}, per product {@code xi} and K block, packed into 8-row
     * panels: panel {@code p} of block {@code [k0, k0 + kLen)} at {@code (xi * C + k0) * ocPanels *
     * 8 + p * 8 * kLen}.
     */
    private final float[] packed;

    /** Offset of input value {@code (a, b)} of a tile from the tile's base, {@code [a * n + b]}. */
    private final int[] inOff;

    /**
     * Offsets by row index for the table-driven transforms: input row {@code a} ({@code inOff[a *
     * n]}), {@code M} row {@code a} ({@code a * n} products apart) and staged vector {@code k}.
     */
    private final int[] inRows;

    private final int[] mRows;
    private final int[] lanes;

    /** Phase-buffer offset of padded row {@code y + padTop} / column {@code x + padLeft}. */
    private final int[] rowOff;

    private final int[] colOff;

    /** Nonzeros of BT and AT per row: {@code [start[i], start[i + 1])} into index/coefficient. */
    private final int[] btStart;

    private final int[] btIndex;
    private final float[] btCoef;
    private final int[] atStart;
    private final int[] atIndex;
    private final float[] atCoef;

    Layer(
        Conv2dGeometry g, WinogradMatrices w, float[] weight, float[] bias, Activation activation) {
      this.g = g;
      this.activation = activation;
      this.bias = bias == null ? null : bias.clone();
      this.weight = weight;
      this.m = w.m();
      this.n = w.n();
      this.products = n * n;
      this.channels = g.inChannels();
      this.outChannels = g.outChannels();
      this.ocPanels = (outChannels + MR - 1) / MR;
      this.kBlocks = (channels + VectorConvolution.KC - 1) / VectorConvolution.KC;
      this.kc = (channels + kBlocks - 1) / kBlocks;
      this.blockPanels = Math.max(1, BLOCK_FLOATS / (products * MR * NR));
      this.unrolled =
          w == WinogradMatrices.F2X3
              ? 3
              : w == WinogradMatrices.F2X5
                  ? 5
                  : w == WinogradMatrices.F4X3 ? 43 : n == 6 && (m == 2 || m == 4) ? 6 : 0;
      this.btDense = new float[n * n];
      for (int i = 0; i < btDense.length; i++) {
        btDense[i] = (float) w.bt()[i];
      }
      this.atDense = new float[m * n];
      for (int i = 0; i < atDense.length; i++) {
        atDense[i] = (float) w.at()[i];
      }
      int a = (n - 1) / m;
      this.tilesY = (g.outHeight() + m - 1) / m;
      this.tilesX = (g.outWidth() + m - 1) / m;
      this.planeW = tilesX + a;
      int planeH = tilesY + a;
      this.planeSize = planeH * planeW;
      this.rowColumns = w.rowColumns(g);
      this.columnsPerSample = tilesY * rowColumns;
      this.sampleFloats = channels * m * m * planeSize;
      this.inOff = new int[products];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          inOff[i * n + j] = ((i % m) * m + j % m) * planeSize + (i / m) * planeW + j / m;
        }
      }
      this.inRows = new int[n];
      this.mRows = new int[n];
      this.lanes = new int[n];
      for (int i = 0; i < n; i++) {
        inRows[i] = inOff[i * n];
        mRows[i] = i * n * blockPanels * MR * NR;
        lanes[i] = i * L;
      }
      this.rowOff = new int[g.inHeight()];
      for (int y = 0; y < rowOff.length; y++) {
        int py = y + g.padTop();
        rowOff[y] = py / m < planeH ? (py % m) * m * planeSize + (py / m) * planeW : -1;
      }
      this.colOff = new int[g.inWidth()];
      for (int x = 0; x < colOff.length; x++) {
        int px = x + g.padLeft();
        colOff[x] = px / m < planeW ? (px % m) * planeSize + px / m : -1;
      }
      int[][] bt = nonzeros(w.bt(), n, n);
      this.btStart = bt[0];
      this.btIndex = bt[1];
      this.btCoef = coefficients(w.bt(), n, bt);
      int[][] at = nonzeros(w.at(), m, n);
      this.atStart = at[0];
      this.atIndex = at[1];
      this.atCoef = coefficients(w.at(), n, at);
      // Per product, per K block, the 8-row panels one after another: a task's pass over its
      // panels for one (product, K block) is then one sequential stream, which the hardware
      // prefetchers follow (at batch 1 each transformed weight is read once per call, from
      // memory); whole-K panels would make it a series of kc * 32-byte pieces with gaps. The
      // transform writes each value straight to its place there (rows past outChannels stay 0).
      int productStride = Math.multiplyExact(ocPanels * MR, channels);
      float[] packed = new float[Math.multiplyExact(products, productStride)];
      this.packed = packed;
      int[] place = new int[outChannels * channels];
      for (int oc = 0; oc < outChannels; oc++) {
        for (int k0 = 0; k0 < channels; k0 += kc) {
          int kLen = Math.min(kc, channels - k0);
          int base = k0 * ocPanels * MR + oc / MR * MR * kLen + oc % MR;
          for (int kk = 0; kk < kLen; kk++) {
            place[oc * channels + k0 + kk] = base + kk * MR;
          }
        }
      }
      // Split over the threads: it runs at load or in a first call, mostly before it is compiled.
      int rows = outChannels * channels;
      Parallel.forRanges(
          rows,
          Math.min(Parallel.threads(), Math.max(1, rows / TRANSFORM_GRAIN)),
          (from, to) -> w.transformFilters(weight, from, to, packed, productStride, place));
    }

    /** Row starts and column indices of the nonzeros of a {@code rows x cols} matrix. */
    private static int[][] nonzeros(double[] matrix, int rows, int cols) {
      int[] start = new int[rows + 1];
      int count = 0;
      for (double v : matrix) {
        count += v != 0 ? 1 : 0;
      }
      int[] index = new int[count];
      int q = 0;
      for (int i = 0; i < rows; i++) {
        start[i] = q;
        for (int j = 0; j < cols; j++) {
          if (matrix[i * cols + j] != 0) {
            index[q++] = j;
          }
        }
      }
      start[rows] = q;
      return new int[][] {start, index};
    }

    private static float[] coefficients(double[] matrix, int cols, int[][] nz) {
      float[] coef = new float[nz[1].length];
      for (int i = 0; i + 1 < nz[0].length; i++) {
        for (int q = nz[0][i]; q < nz[0][i + 1]; q++) {
          coef[q] = (float) matrix[i * cols + nz[1][q]];
        }
      }
      return coef;
    }

    /** GEMM work for a batch: products times 48-column panels. */
    long panelProducts(int samples) {
      return products * (((long) samples * columnsPerSample + NR - 1) / NR);
    }

    @Override
    public boolean rebuildsWeight() {
      return true;
    }

    @Override
    public float[] weight() {
      return java.util.Arrays.copyOf(weight, g.weightSize());
    }

    @Override
    public void run(float[] input, int samples, float[] output) {
      run(input, samples, output, 0, outChannels, null);
    }

    @Override
    public void run(
        float[] input,
        int samples,
        float[] outArray,
        int outChannelOffset,
        int sliceChannels,
        float[] residual) {
      Slices.check(outChannels, outChannelOffset, sliceChannels);
      int plane = g.outHeight() * g.outWidth();
      Sink output =
          new Sink(
              outArray, sliceChannels * plane, outChannelOffset * plane, residual, g.outputSize());
      long columns = (long) samples * columnsPerSample;
      int units = Math.toIntExact((columns + NR - 1) / NR);
      double flops =
          2.0 * outChannels * channels * products * columns; // the products actually computed
      int threads = Parallel.threads();
      if (threads == 1 || flops < VectorConvolution.INLINE_FLOPS) {
        compute(input, samples, output, 0, units, 0, ocPanels, null);
        return;
      }
      int target = threads * 4;
      if (units >= target && samples >= target) {
        Parallel.forRanges(
            units,
            target,
            (from, to) -> compute(input, samples, output, from, to, 0, ocPanels, null));
        return;
      }
      // Fewer samples than tasks: every task would copy the same samples into its own phase
      // buffer, so they are copied once, split over channels, into one that all the tasks read.
      Shared own = SHARED.get();
      boolean borrowed = !own.inUse;
      int phaseFloats = samples * sampleFloats + slack();
      float[] phase =
          borrowed
              ? (own.phase = VectorGemm.atLeast(own.phase, phaseFloats))
              : new float[phaseFloats]; // a run nested in another's wait: rare
      own.inUse = true;
      try {
        runShared(input, samples, output, units, threads, phase);
      } finally {
        if (borrowed) {
          own.inUse = false;
        }
      }
    }

    /** {@link #run} for fewer samples than tasks, reading one phase buffer that it fills first. */
    private void runShared(
        float[] input, int samples, Sink output, int units, int threads, float[] phase) {
      int target = threads * 4;
      int phaseChunks = Math.min(channels, target);
      Parallel.forRanges(
          channels,
          phaseChunks,
          (from, to) -> phases(input, 0, samples, phase, to == channels ? slack() : 0, from, to));
      if (units >= target) {
        Parallel.forRanges(
            units,
            target,
            (from, to) -> compute(input, samples, output, from, to, 0, ocPanels, phase));
        return;
      }
      // Few panels (batch 1): split the output channels too, into as few chunks as give every
      // thread an equal share. The input transform is done once per panel, split over channels
      // into a buffer all the tasks read, rather than once per chunk, which would repeat it for
      // every output-channel chunk.
      int rowChunks = 1;
      while (rowChunks < ocPanels
          && (units * rowChunks < 2 * threads
              || (units * rowChunks < target && units * rowChunks % threads != 0))) {
        rowChunks++;
      }
      if (rowChunks == 1) {
        // One task per panel (AlexNet's conv2 at batch 1: 4), each transforming its own.
        Parallel.forEach(units, i -> compute(input, samples, output, i, i + 1, 0, ocPanels, phase));
        return;
      }
      int chunks = rowChunks;
      int channelChunks = Math.max(1, Math.min(channels, (2 * threads + units - 1) / units));
      int unitFloats = products * productStride();
      VectorGemm.Scratch own = VectorGemm.SCRATCH.get();
      boolean borrowed = !own.sharedInUse;
      float[] v =
          borrowed
              ? (own.shared = VectorGemm.atLeast(own.shared, units * unitFloats))
              : new float[units * unitFloats]; // a run nested in another's wait: rare
      own.sharedInUse = true;
      try {
        Parallel.forEach(
            units * channelChunks,
            i -> {
              int unit = i / channelChunks;
              int chunk = i % channelChunks;
              transformShared(
                  samples,
                  unit,
                  channels * chunk / channelChunks,
                  channels * (chunk + 1) / channelChunks,
                  phase,
                  v,
                  unit * unitFloats);
            });
        Parallel.forEach(
            units * chunks,
            i -> {
              int unit = i / chunks;
              int chunk = i % chunks;
              int pFrom = ocPanels * chunk / chunks;
              int pTo = ocPanels * (chunk + 1) / chunks;
              if (pFrom < pTo) {
                VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
                Runs runs = RUNS.get();
                int valid = runs(samples, unit, runs);
                multiply(v, unit * unitFloats, s, valid, runs, pFrom, pTo, output);
              }
            });
      } finally {
        if (borrowed) {
          own.sharedInUse = false;
        }
      }
    }

    /** One spare row per product: the last channel's vector stores may run past the panel. */
    private int productStride() {
      return (channels + 1) * NR;
    }

    /** Vector loads of the last tiles run past the last plane by up to L + (A + 1) * planeW. */
    private int slack() {
      return 2 * L + 2 * planeW + 2;
    }

    /**
     * Panels {@code [unitFrom, unitTo)} times output-channel panels {@code [pFrom, pTo)}, from the
     * phase buffer of all samples {@code shared}, or if null from this thread's own.
     */
    private void compute(
        float[] input,
        int samples,
        Sink output,
        int unitFrom,
        int unitTo,
        int pFrom,
        int pTo,
        float[] shared) {
      if (pFrom >= pTo) {
        return;
      }
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      int productStride = productStride();
      float[] b = s.b(products * productStride);
      float[] t = s.t(products * L + m * m * NR);
      Runs runs = RUNS.get();
      int window = Math.max(1, (1 << 17) / sampleFloats);
      int slack = slack();
      int padFrom = 0;
      int padTo = shared == null ? 0 : samples;
      float[] phase = shared;
      for (int u = unitFrom; u < unitTo; u++) {
        int valid = runs(samples, u, runs);
        long col0 = (long) u * NR;
        int first = (int) (col0 / columnsPerSample);
        int last = (int) ((col0 + valid - 1) / columnsPerSample);
        if (phase == null || first < padFrom || last >= padTo) {
          padFrom = first;
          padTo = Math.max(last + 1, Math.min(samples, first + window));
          phase = s.pad((padTo - padFrom) * sampleFloats + slack);
          phases(input, padFrom, padTo, phase, slack, 0, channels);
        }
        transformInput(phase, padFrom, col0, valid, t, b, 0, 0, channels, null);
        multiply(b, 0, s, valid, runs, pFrom, pTo, output);
      }
    }

    /**
     * Channels {@code [chFrom, chTo)} of panel {@code unit}'s input transform into {@code v} from
     * {@code vBase}, for {@link #multiply} on other threads.
     */
    private void transformShared(
        int samples, int unit, int chFrom, int chTo, float[] phase, float[] v, int vBase) {
      if (chFrom >= chTo) {
        return;
      }
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      float[] t = s.t(products * L + m * m * NR);
      long col0 = (long) unit * NR;
      int valid = (int) Math.min(NR, (long) samples * columnsPerSample - col0);
      // The chunk's last channel may store past its row, into the next chunk's first row, which
      // another thread writes: that channel goes through a staging panel with room to spare.
      float[] stage = chTo < channels ? s.b(products * (NR + L)) : null;
      transformInput(phase, 0, col0, valid, t, v, vBase, chFrom, chTo, stage);
    }

    /**
     * Fills {@code runs} with panel {@code unit}'s runs of whole tiles and returns its number of
     * valid columns.
     */
    private int runs(int samples, int unit, Runs runs) {
      long col0 = (long) unit * NR;
      int valid = (int) Math.min(NR, (long) samples * columnsPerSample - col0);
      runs.count = 0;
      for (int j = 0; j < valid; ) {
        long col = col0 + j;
        int sample = (int) (col / columnsPerSample);
        int local = (int) (col - (long) sample * columnsPerSample);
        int ty = local / rowColumns;
        int tx = local - ty * rowColumns;
        if (tx >= tilesX) {
          j += rowColumns - tx; // the row's unused columns
          continue;
        }
        int len = Math.min(tilesX - tx, valid - j);
        int q = runs.count++;
        runs.column[q] = j;
        runs.length[q] = len;
        runs.out[q] = ty * m * g.outWidth() + tx * m;
        runs.sample[q] = sample;
        runs.rows[q] = Math.min(m, g.outHeight() - ty * m);
        runs.lastCols[q] = Math.min(m, g.outWidth() - (tx + len - 1) * m);
        j += len;
      }
      return valid;
    }

    /**
     * The {@code n^2} GEMMs of one panel's transformed input ({@code b} from {@code bBase}) with
     * output-channel panels {@code [pFrom, pTo)}, block by block, each followed by its output pass.
     */
    private void multiply(
        float[] b,
        int bBase,
        VectorGemm.Scratch s,
        int valid,
        Runs runs,
        int pFrom,
        int pTo,
        Sink output) {
      int productStride = productStride();
      float[] c = s.c(products * blockPanels * MR * NR);
      float[] t = s.t(products * L + m * m * NR);
      for (int pb = pFrom; pb < pTo; pb += blockPanels) {
        int pe = Math.min(pTo, pb + blockPanels);
        // Products as many rows apart as the block has, so a short block (64 output channels) is
        // all that is zeroed; the table-driven output transform's offsets assume full blocks.
        int blockRows = unrolled == 0 ? blockPanels * MR : (pe - pb) * MR;
        // The first K block's sums start at zero in registers where this tile shape has such a
        // kernel; every row the output pass reads is then stored by it, so nothing is zeroed.
        boolean fresh = VectorExpansion.HAS_KERNEL && unrolled != 0;
        if (!fresh) {
          java.util.Arrays.fill(c, 0, products * blockRows * NR, 0f);
        }
        for (int kb = 0; kb < kBlocks; kb++) {
          int k0 = kb * kc;
          int kLen = Math.min(kc, channels - k0);
          for (int xi = 0; xi < products; xi++) {
            int aBase = (xi * channels + k0) * ocPanels * MR;
            if (fresh && kb == 0) {
              for (int p = pb; p < pe; p++) {
                VectorExpansion.sums(
                    packed,
                    aBase + p * MR * kLen,
                    b,
                    bBase + xi * productStride,
                    NR,
                    kLen,
                    c,
                    (xi * blockRows + (p - pb) * MR) * NR,
                    NR);
              }
              continue;
            }
            for (int p = pb; p < pe; p++) {
              VectorGemm.microKernel(
                  packed,
                  aBase + p * MR * kLen,
                  b,
                  bBase + xi * productStride + k0 * NR,
                  kLen,
                  c,
                  (xi * blockRows + (p - pb) * MR) * NR,
                  NR);
            }
          }
        }
        outputPass(c, pb, pe, blockRows, valid, t, runs, output);
      }
    }

    /**
     * The input transform of one panel, {@code valid} columns from {@code col0}, one run of tiles
     * of one sample at a time; whole vectors, whose overrun past a run is overwritten by the next
     * run or lands in unused columns / the spare row.
     *
     * <p>This and {@link #outputPass} are methods of their own to keep {@code compute}, which C2
     * compiles with the micro-kernel calls, small: inside it the transforms hit C2's inlining
     * cut-offs ({@code -XX:+PrintInlining}: NodeCountInliningCutoff).
     */
    private void transformInput(
        float[] phase,
        int padFrom,
        long col0,
        int valid,
        float[] t,
        float[] b,
        int bBase,
        int chFrom,
        int chTo,
        float[] stage) {
      int productStride = productStride();
      for (int ch = chFrom; ch < chTo; ch++) {
        // Channel ch's row of every product, or the staging panel (rows NR + L apart) instead.
        boolean staged = stage != null && ch == chTo - 1;
        float[] dst = staged ? stage : b;
        int rowBase = staged ? 0 : bBase + ch * NR;
        int stride = staged ? NR + L : productStride;
        int j = 0;
        while (j < valid) {
          long col = col0 + j;
          int sample = (int) (col / columnsPerSample);
          int local = (int) (col - (long) sample * columnsPerSample);
          int ty = local / rowColumns;
          int tx = local - ty * rowColumns;
          // Contiguous in the phase planes: the rest of the sample, or of the tile row.
          int len =
              Math.min(
                  valid - j, rowColumns == planeW ? columnsPerSample - local : rowColumns - tx);
          int base = (sample - padFrom) * sampleFloats + ch * m * m * planeSize + ty * planeW + tx;
          for (int q = 0; q < len; q += L) {
            int d = rowBase + j + q;
            if (unrolled == 3) {
              inputTransform3(phase, base + q, t, dst, d, stride);
            } else if (unrolled == 5) {
              inputTransform5(phase, base + q, t, dst, d, stride);
            } else if (unrolled == 43) {
              inputTransform43(phase, base + q, t, dst, d, stride);
            } else if (unrolled == 6) {
              inputTransform6(phase, base + q, t, dst, d, stride);
            } else {
              inputTransform(phase, base + q, t, dst, d, stride);
            }
          }
          j += len;
        }
        if (staged) {
          for (int xi = 0; xi < products; xi++) {
            for (int j0 = 0; j0 < NR; j0 += L) {
              VectorGemm.copy(
                  stage, xi * (NR + L) + j0, b, bBase + xi * productStride + ch * NR + j0);
            }
          }
        }
      }
    }

    /**
     * Output channels of panels {@code [pb, pe)} from the {@code M} block: transform each channel's
     * tiles into {@code m * m} rows of 48, one bias + activation pass, then the scatter of each run
     * of tiles.
     */
    private void outputPass(
        float[] c, int pb, int pe, int blockRows, int valid, float[] t, Runs runs, Sink output) {
      int plane = g.outHeight() * g.outWidth();
      int rowTo = Math.min(pe * MR, outChannels);
      int y = products * L;
      for (int oc = pb * MR; oc < rowTo; oc++) {
        int row = oc - pb * MR;
        for (int j = 0; j < valid; j += L) {
          int cOff = row * NR + j;
          if (unrolled == 3) {
            outputTransform3(c, cOff, blockRows * NR, t, y + j);
          } else if (unrolled == 5) {
            outputTransform5(c, cOff, blockRows * NR, t, y + j);
          } else if (unrolled == 43) {
            outputTransform43(c, cOff, blockRows * NR, t, y + j);
          } else if (unrolled == 6) {
            outputTransform6(c, cOff, blockRows * NR, t, y + j);
          } else {
            outputTransform(c, cOff, t, y + j);
          }
        }
        float bv = bias == null ? 0f : bias[oc];
        if (output.residual() != null
            && (activation == Activation.RELU || activation == Activation.NONE)) {
          // The residual and the ReLU go in the scatter itself, which reads every output once
          // anyway: no gather into the tiles' layout and no second pass over them.
          VectorGemm.biasActivate(t, y, t, y, m * m * NR, bv, Activation.NONE);
          boolean relu = activation == Activation.RELU;
          for (int q = 0; q < runs.count; q++) {
            int at = runs.out[q] + oc * plane;
            scatterAdd(
                t,
                y + runs.column[q],
                runs.length[q],
                runs.rows[q],
                runs.lastCols[q],
                output.output(),
                runs.sample[q] * output.stride() + output.offset() + at,
                output.residual(),
                runs.sample[q] * output.size() + at,
                relu);
          }
          continue;
        }
        if (output.residual() == null) {
          VectorGemm.biasActivate(t, y, t, y, m * m * NR, bv, activation);
        } else {
          // The residual joins after the bias and before the activation, read into the tiles'
          // layout (the scatter's inverse), so the activation still runs over whole vectors.
          VectorGemm.biasActivate(t, y, t, y, m * m * NR, bv, Activation.NONE);
          for (int q = 0; q < runs.count; q++) {
            gatherAdd(
                t,
                y + runs.column[q],
                runs.length[q],
                runs.rows[q],
                runs.lastCols[q],
                output.residual(),
                runs.sample[q] * output.size() + runs.out[q] + oc * plane);
          }
          VectorGemm.biasActivate(t, y, t, y, m * m * NR, 0f, activation);
        }
        for (int q = 0; q < runs.count; q++) {
          scatter(
              t,
              y + runs.column[q],
              runs.length[q],
              runs.rows[q],
              runs.lastCols[q],
              output.output(),
              runs.sample[q] * output.stride() + output.offset() + runs.out[q] + oc * plane);
        }
      }
    }

    /**
     * {@link #scatter} with the residual {@code res} from {@code at} added to each value, then ReLU
     * if {@code relu} ({@code v < 0} to zero, NaN kept, as the vector pass does).
     */
    private void scatterAdd(
        float[] y,
        int yOff,
        int len,
        int rows,
        int lastCols,
        float[] output,
        int out,
        float[] res,
        int at,
        boolean relu) {
      int ow = g.outWidth();
      int cols = (len - 1) * m + lastCols; // the run's output columns
      for (int dy = 0; dy < rows; dy++) {
        int o = out + dy * ow;
        int r = at + dy * ow;
        for (int dx = 0; dx < m; dx++) {
          int src = yOff + (dy * m + dx) * NR;
          for (int x = dx, k = 0; x < cols; x += m, k++) {
            float v = y[src + k] + res[r + x];
            output[o + x] = relu && v < 0f ? 0f : v;
          }
        }
      }
    }

    /** {@link #scatter} backwards: adds rows of {@code res} from {@code at} to a run's tiles. */
    private void gatherAdd(
        float[] y, int yOff, int len, int rows, int lastCols, float[] res, int at) {
      int ow = g.outWidth();
      int whole = lastCols == m ? len : len - 1;
      for (int dy = 0; dy < rows; dy++) {
        int o = at + dy * ow;
        for (int dx = 0; dx < m; dx++) {
          int src = yOff + (dy * m + dx) * NR;
          for (int k = 0; k < whole; k++) {
            y[src + k] += res[o + k * m + dx];
          }
          if (whole < len && dx < lastCols) {
            y[src + whole] += res[o + whole * m + dx];
          }
        }
      }
    }

    /**
     * Writes a run of {@code len} tiles' outputs, {@code Y[dy][dx]} of tile {@code k} at {@code
     * y[yOff + (dy * m + dx) * NR + k]}, to rows {@code dy < rows} of the output from {@code out}:
     * tight strided loops over whole tiles, then the last tile's {@code lastCols} columns.
     */
    private void scatter(
        float[] y, int yOff, int len, int rows, int lastCols, float[] output, int out) {
      int ow = g.outWidth();
      int whole = lastCols == m ? len : len - 1;
      for (int dy = 0; dy < rows; dy++) {
        int o = out + dy * ow;
        for (int dx = 0; dx < m; dx++) {
          int src = yOff + (dy * m + dx) * NR;
          for (int k = 0; k < whole; k++) {
            output[o + k * m + dx] = y[src + k];
          }
          if (whole < len && dx < lastCols) {
            output[o + whole * m + dx] = y[src + whole];
          }
        }
      }
    }

    /**
     * {@code V = BT d B} for 16 tiles of one channel: {@code d[a][b]} at {@code phase[base +
     * inOff[a * n + b]]}; {@code V[i][j]} goes to {@code b[(i * n + j) * productStride + bOff]}.
     */
    private void inputTransform(
        float[] phase, int base, float[] t, float[] b, int bOff, int productStride) {
      for (int col = 0; col < n; col++) {
        for (int i = 0; i < n; i++) {
          sparseDot(
              btStart, btIndex, btCoef, i, phase, base + inOff[col], inRows, t, (i * n + col) * L);
        }
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          sparseDot(
              btStart,
              btIndex,
              btCoef,
              j,
              t,
              i * n * L,
              lanes,
              b,
              (i * n + j) * productStride + bOff);
        }
      }
    }

    /**
     * {@code Y = AT M A} for 16 tiles of one output channel, {@code M[xi]} at {@code c[cOff + xi *
     * xiStride]} ({@code xiStride} = {@link #blockPanels} x 8 x 48); writes {@code Y[i][j]} to
     * {@code t[y + (i * m + j) * NR]}, using {@code t[0, products * L)} as scratch.
     */
    private void outputTransform(float[] c, int cOff, float[] t, int y) {
      for (int col = 0; col < n; col++) {
        for (int i = 0; i < m; i++) {
          sparseDot(
              atStart,
              atIndex,
              atCoef,
              i,
              c,
              cOff + col * blockPanels * MR * NR,
              mRows,
              t,
              (i * n + col) * L);
        }
      }
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < m; j++) {
          sparseDot(atStart, atIndex, atCoef, j, t, i * n * L, lanes, t, y + (i * m + j) * NR);
        }
      }
    }

    /**
     * {@code dst[d, d + L) = sum_q coef[q] * src[o + table[index[q]], ... + L)} over row {@code
     * row}'s nonzeros {@code q in [start[row], start[row + 1])}.
     */
    private static void sparseDot(
        int[] start,
        int[] index,
        float[] coef,
        int row,
        float[] src,
        int o,
        int[] table,
        float[] dst,
        int d) {
      FloatVector acc = FloatVector.zero(SPECIES);
      for (int q = start[row]; q < start[row + 1]; q++) {
        acc =
            FloatVector.fromArray(SPECIES, src, o + table[index[q]])
                .fma(FloatVector.broadcast(SPECIES, coef[q]), acc);
      }
      acc.intoArray(dst, d);
    }

    // ---- unrolled transforms for F(2x2, 3x3) and F(2x2, 5x5) ----
    // The table-driven loops above spend more on indexing than on arithmetic; these apply the
    // same matrices (asserted equal
    // in WinogradMatricesTest) one 1-D pass at a time, loading and storing whole vectors, so no
    // FloatVector crosses a method boundary.

    /** {@link #inputTransform} for {@link WinogradMatrices#F2X3}: rows of d, then columns. */
    private void inputTransform3(
        float[] phase, int base, float[] t, float[] b, int bOff, int productStride) {
      for (int a = 0; a < 4; a++) {
        int row = base + inOff[a * 4];
        bt4(phase, row, row + inOff[1], row + inOff[2], row + inOff[3], t, a * 4 * L, L);
      }
      for (int j = 0; j < 4; j++) {
        int t0 = j * L;
        bt4(
            t,
            t0,
            t0 + 4 * L,
            t0 + 8 * L,
            t0 + 12 * L,
            b,
            j * productStride + bOff,
            4 * productStride);
      }
    }

    /**
     * BT of F(2, 3) on four vectors: {@code (x2 - x0, x1 + x2, x2 - x1, x3 - x1)} to {@code dst[d +
     * i * step]}.
     */
    private static void bt4(
        float[] src, int o0, int o1, int o2, int o3, float[] dst, int d, int step) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, src, o0);
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o1);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o2);
      FloatVector x3 = FloatVector.fromArray(SPECIES, src, o3);
      x2.sub(x0).intoArray(dst, d);
      x1.add(x2).intoArray(dst, d + step);
      x2.sub(x1).intoArray(dst, d + 2 * step);
      x3.sub(x1).intoArray(dst, d + 3 * step);
    }

    /** {@link #inputTransform} for {@link WinogradMatrices#F2X5}: rows of d, then columns. */
    private void inputTransform5(
        float[] phase, int base, float[] t, float[] b, int bOff, int productStride) {
      for (int a = 0; a < 6; a++) {
        int row = base + inOff[a * 6];
        bt6(phase, row, inOff[1], inOff[2], inOff[3], inOff[4], inOff[5], t, a * 6 * L, L);
      }
      for (int j = 0; j < 6; j++) {
        bt6(
            t,
            j * L,
            6 * L,
            12 * L,
            18 * L,
            24 * L,
            30 * L,
            b,
            j * productStride + bOff,
            6 * productStride);
      }
    }

    /**
     * BT of F(2, 5) on six vectors at {@code src[o], src[o + e1], ..., src[o + e5]}: rows {@code
     * (4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0), (0, -2, -1, 2, 1, 0), (0, 2,
     * -1, -2, 1, 0), (0, 4, 0, -5, 0, 1)} to {@code dst[d + i * step]}.
     */
    private static void bt6(
        float[] src, int o, int e1, int e2, int e3, int e4, int e5, float[] dst, int d, int step) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, src, o);
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o + e1);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o + e2);
      FloatVector x3 = FloatVector.fromArray(SPECIES, src, o + e3);
      FloatVector x4 = FloatVector.fromArray(SPECIES, src, o + e4);
      FloatVector x5 = FloatVector.fromArray(SPECIES, src, o + e5);
      FloatVector four = FloatVector.broadcast(SPECIES, 4f);
      FloatVector minusFour = FloatVector.broadcast(SPECIES, -4f);
      FloatVector minusFive = FloatVector.broadcast(SPECIES, -5f);
      FloatVector two = FloatVector.broadcast(SPECIES, 2f);
      // u - 2v as v * -2 + u, not (-v) * 2 + u (same value): inlined into inputTransform5's loop,
      // neg() could leave JDK 17's C2 boxing the vectors.
      FloatVector minusTwo = FloatVector.broadcast(SPECIES, -2f);
      x0.fma(four, x2.fma(minusFive, x4)).intoArray(dst, d);
      FloatVector p = x2.fma(minusFour, x4); // x4 - 4 x2
      FloatVector q = x1.fma(minusFour, x3); // x3 - 4 x1
      p.add(q).intoArray(dst, d + step);
      p.sub(q).intoArray(dst, d + 2 * step);
      FloatVector u = x4.sub(x2);
      FloatVector v = x3.sub(x1);
      v.fma(two, u).intoArray(dst, d + 3 * step);
      v.fma(minusTwo, u).intoArray(dst, d + 4 * step);
      x1.fma(four, x3.fma(minusFive, x5)).intoArray(dst, d + 5 * step);
    }

    /** {@link #outputTransform} for {@link WinogradMatrices#F2X3}: columns of M, then rows. */
    private void outputTransform3(float[] c, int cOff, int xiStride, float[] t, int y) {
      for (int col = 0; col < 4; col++) {
        int o = cOff + col * xiStride;
        at4(c, o, o + 4 * xiStride, o + 8 * xiStride, o + 12 * xiStride, t, col * L, 4 * L);
      }
      for (int i = 0; i < 2; i++) {
        int o = i * 4 * L;
        at4(t, o, o + L, o + 2 * L, o + 3 * L, t, y + i * 2 * NR, NR);
      }
    }

    /** AT of F(2, 3) on four vectors: {@code (x0 + x1 + x2, x1 - x2 + x3)}. */
    private static void at4(
        float[] src, int o0, int o1, int o2, int o3, float[] dst, int d, int step) {
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o1);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o2);
      FloatVector.fromArray(SPECIES, src, o0).add(x1).add(x2).intoArray(dst, d);
      x1.sub(x2).add(FloatVector.fromArray(SPECIES, src, o3)).intoArray(dst, d + step);
    }

    /** {@link #outputTransform} for {@link WinogradMatrices#F2X5}: columns of M, then rows. */
    private void outputTransform5(float[] c, int cOff, int xiStride, float[] t, int y) {
      for (int col = 0; col < 6; col++) {
        at6(c, cOff + col * xiStride, 6 * xiStride, t, col * L, 6 * L);
      }
      for (int i = 0; i < 2; i++) {
        at6(t, i * 6 * L, L, t, y + i * 2 * NR, NR);
      }
    }

    /**
     * AT of F(2, 5) on six vectors {@code src[o + k * e]}: {@code (x0 + x1 + x2 + x3 + x4, x1 - x2
     * + 2 x3 - 2 x4 + x5)}.
     */
    private static void at6(float[] src, int o, int e, float[] dst, int d, int step) {
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o + e);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o + 2 * e);
      FloatVector x3 = FloatVector.fromArray(SPECIES, src, o + 3 * e);
      FloatVector x4 = FloatVector.fromArray(SPECIES, src, o + 4 * e);
      FloatVector.fromArray(SPECIES, src, o).add(x1).add(x2).add(x3.add(x4)).intoArray(dst, d);
      // 2w as w + w (exact, so the same value as an FMA by 2): no broadcast constant, which C2 on
      // JDK 17 could hoist out of outputTransform5's loop and then box.
      FloatVector w = x3.sub(x4);
      w.add(w)
          .add(x1.sub(x2))
          .add(FloatVector.fromArray(SPECIES, src, o + 5 * e))
          .intoArray(dst, d + step);
    }

    /**
     * {@link #inputTransform} for {@link WinogradMatrices#F4X3}: rows of d, then columns, each a
     * {@link #bt43}; straight-line for the reason given at {@link #inputTransform6}.
     */
    private void inputTransform43(
        float[] phase, int base, float[] t, float[] b, int bOff, int productStride) {
      int e1 = inOff[1];
      int e2 = inOff[2];
      int e3 = inOff[3];
      int e4 = inOff[4];
      int e5 = inOff[5];
      bt43(phase, base + inOff[0], e1, e2, e3, e4, e5, t, 0, L);
      bt43(phase, base + inOff[6], e1, e2, e3, e4, e5, t, 6 * L, L);
      bt43(phase, base + inOff[12], e1, e2, e3, e4, e5, t, 12 * L, L);
      bt43(phase, base + inOff[18], e1, e2, e3, e4, e5, t, 18 * L, L);
      bt43(phase, base + inOff[24], e1, e2, e3, e4, e5, t, 24 * L, L);
      bt43(phase, base + inOff[30], e1, e2, e3, e4, e5, t, 30 * L, L);
      int step = 6 * productStride;
      int o = bOff;
      bt43(t, 0, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
      o += productStride;
      bt43(t, L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
      o += productStride;
      bt43(t, 2 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
      o += productStride;
      bt43(t, 3 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
      o += productStride;
      bt43(t, 4 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
      o += productStride;
      bt43(t, 5 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, b, o, step);
    }

    /**
     * BT of {@link WinogradMatrices#F4X3} (points 0, 1, -1, 2, -1/2) on six vectors at {@code
     * src[o], src[o + e1], ..., src[o + e5]}: rows {@code (1, 3/2, -2, -3/2, 1, 0), (0, -1, -5/2,
     * -1/2, 1, 0), (0, 1, 1/2, -5/2, 1, 0), (0, -1/2, -1, 1/2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 1,
     * 3/2, -2, -3/2, 1)} to {@code dst[d + i * step]}, in 17 operations where the dense rows take
     * 36 multiply-adds and as many loads and broadcasts.
     */
    private static void bt43(
        float[] src, int o, int e1, int e2, int e3, int e4, int e5, float[] dst, int d, int step) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, src, o);
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o + e1);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o + e2);
      FloatVector x3 = FloatVector.fromArray(SPECIES, src, o + e3);
      FloatVector x4 = FloatVector.fromArray(SPECIES, src, o + e4);
      FloatVector x5 = FloatVector.fromArray(SPECIES, src, o + e5);
      FloatVector half = FloatVector.broadcast(SPECIES, 0.5f);
      FloatVector minusHalf = FloatVector.broadcast(SPECIES, -0.5f);
      FloatVector threeHalves = FloatVector.broadcast(SPECIES, 1.5f);
      FloatVector two = FloatVector.broadcast(SPECIES, 2f);
      FloatVector minusTwo = FloatVector.broadcast(SPECIES, -2f);
      FloatVector minusFiveHalves = FloatVector.broadcast(SPECIES, -2.5f);
      FloatVector v = x1.sub(x3);
      FloatVector u = x4.sub(x2);
      v.fma(threeHalves, x2.fma(minusTwo, x0.add(x4))).intoArray(dst, d);
      x3.fma(minusHalf, x2.fma(minusFiveHalves, x4.sub(x1))).intoArray(dst, d + step);
      x3.fma(minusFiveHalves, x2.fma(half, x4.add(x1))).intoArray(dst, d + 2 * step);
      v.fma(minusHalf, u).intoArray(dst, d + 3 * step);
      v.fma(two, u).intoArray(dst, d + 4 * step);
      x2.sub(x4).fma(threeHalves, x3.fma(minusTwo, x1.add(x5))).intoArray(dst, d + 5 * step);
    }

    /**
     * {@link #outputTransform} for {@link WinogradMatrices#F4X3}: columns of M, then rows, each an
     * {@link #at43}; straight-line for the reason given at {@link #inputTransform6}.
     */
    private void outputTransform43(float[] c, int cOff, int xiStride, float[] t, int y) {
      int e = 6 * xiStride;
      at43(c, cOff, e, t, 0, 6 * L);
      at43(c, cOff + xiStride, e, t, L, 6 * L);
      at43(c, cOff + 2 * xiStride, e, t, 2 * L, 6 * L);
      at43(c, cOff + 3 * xiStride, e, t, 3 * L, 6 * L);
      at43(c, cOff + 4 * xiStride, e, t, 4 * L, 6 * L);
      at43(c, cOff + 5 * xiStride, e, t, 5 * L, 6 * L);
      at43(t, 0, L, t, y, NR);
      at43(t, 6 * L, L, t, y + 4 * NR, NR);
      at43(t, 12 * L, L, t, y + 8 * NR, NR);
      at43(t, 18 * L, L, t, y + 12 * NR, NR);
    }

    /**
     * AT of {@link WinogradMatrices#F4X3} on six vectors {@code src[o + k * e]}: {@code (x0 + x1 +
     * x2 + x3 + x4, x1 - x2 + 2 x3 - x4 / 2, x1 + x2 + 4 x3 + x4 / 4, x1 - x2 + 8 x3 - x4 / 8 +
     * x5)} to {@code dst[d + i * step]}.
     */
    private static void at43(float[] src, int o, int e, float[] dst, int d, int step) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, src, o);
      FloatVector x1 = FloatVector.fromArray(SPECIES, src, o + e);
      FloatVector x2 = FloatVector.fromArray(SPECIES, src, o + 2 * e);
      FloatVector x3 = FloatVector.fromArray(SPECIES, src, o + 3 * e);
      FloatVector x4 = FloatVector.fromArray(SPECIES, src, o + 4 * e);
      FloatVector x5 = FloatVector.fromArray(SPECIES, src, o + 5 * e);
      FloatVector sum = x1.add(x2);
      FloatVector diff = x1.sub(x2);
      x0.add(sum).add(x3.add(x4)).intoArray(dst, d);
      x4.fma(
              FloatVector.broadcast(SPECIES, -0.5f),
              x3.fma(FloatVector.broadcast(SPECIES, 2f), diff))
          .intoArray(dst, d + step);
      x4.fma(FloatVector.broadcast(SPECIES, 0.25f), x3.fma(FloatVector.broadcast(SPECIES, 4f), sum))
          .intoArray(dst, d + 2 * step);
      x4.fma(
              FloatVector.broadcast(SPECIES, -0.125f),
              x3.fma(FloatVector.broadcast(SPECIES, 8f), diff.add(x5)))
          .intoArray(dst, d + 3 * step);
    }

    /**
     * {@link #inputTransform} for any 6-point tiles: rows of d, then columns.
     *
     * <p>This and {@link #outputTransform6} are written as straight lines of {@link #dense6} calls,
     * not loops, and so are larger than C2's {@code FreqInlineSize} (325 bytes of bytecode): each
     * is then compiled on its own rather than inlined into the tile loop. Inlined there (with
     * {@code dense6} and {@code row6} inside, several calls deep), one compilation held enough
     * vector operations for JDK 17's C2 to box them in some runs, and the deoptimisations that
     * followed spoiled the Vector API's shared profiles for kernels compiled afterwards.
     */
    private void inputTransform6(
        float[] phase, int base, float[] t, float[] b, int bOff, int productStride) {
      int e1 = inOff[1];
      int e2 = inOff[2];
      int e3 = inOff[3];
      int e4 = inOff[4];
      int e5 = inOff[5];
      dense6(phase, base + inOff[0], e1, e2, e3, e4, e5, btDense, 6, t, 0, L);
      dense6(phase, base + inOff[6], e1, e2, e3, e4, e5, btDense, 6, t, 6 * L, L);
      dense6(phase, base + inOff[12], e1, e2, e3, e4, e5, btDense, 6, t, 12 * L, L);
      dense6(phase, base + inOff[18], e1, e2, e3, e4, e5, btDense, 6, t, 18 * L, L);
      dense6(phase, base + inOff[24], e1, e2, e3, e4, e5, btDense, 6, t, 24 * L, L);
      dense6(phase, base + inOff[30], e1, e2, e3, e4, e5, btDense, 6, t, 30 * L, L);
      int step = 6 * productStride;
      int o = bOff;
      dense6(t, 0, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
      o += productStride;
      dense6(t, L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
      o += productStride;
      dense6(t, 2 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
      o += productStride;
      dense6(t, 3 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
      o += productStride;
      dense6(t, 4 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
      o += productStride;
      dense6(t, 5 * L, 6 * L, 12 * L, 18 * L, 24 * L, 30 * L, btDense, 6, b, o, step);
    }

    /**
     * {@link #outputTransform} for any 6-point tiles ({@code m} = 4 for 3x3 filters, 2 for 5x5):
     * columns of M, then rows; straight-line for the reason given at {@link #inputTransform6}.
     */
    private void outputTransform6(float[] c, int cOff, int xiStride, float[] t, int y) {
      int e = 6 * xiStride;
      dense6(c, cOff, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, 0, 6 * L);
      dense6(c, cOff + xiStride, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, L, 6 * L);
      dense6(c, cOff + 2 * xiStride, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, 2 * L, 6 * L);
      dense6(c, cOff + 3 * xiStride, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, 3 * L, 6 * L);
      dense6(c, cOff + 4 * xiStride, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, 4 * L, 6 * L);
      dense6(c, cOff + 5 * xiStride, e, 2 * e, 3 * e, 4 * e, 5 * e, atDense, m, t, 5 * L, 6 * L);
      dense6(t, 0, L, 2 * L, 3 * L, 4 * L, 5 * L, atDense, m, t, y, NR);
      dense6(t, 6 * L, L, 2 * L, 3 * L, 4 * L, 5 * L, atDense, m, t, y + m * NR, NR);
      if (m > 2) {
        dense6(t, 12 * L, L, 2 * L, 3 * L, 4 * L, 5 * L, atDense, m, t, y + 2 * m * NR, NR);
        dense6(t, 18 * L, L, 2 * L, 3 * L, 4 * L, 5 * L, atDense, m, t, y + 3 * m * NR, NR);
      }
    }

    /**
     * {@code dst[d + i * step] = sum_k coef[i * 6 + k] * x_k} for {@code i < rows}, the six vectors
     * {@code x_k} at {@code src[o], src[o + e1], ..., src[o + e5]}.
     *
     * <p>One call of {@link #row6} per row, each loading its six vectors again (from L1): written
     * as one loop over rows sharing six loaded vectors, C2 on JDK 17 sometimes compiled it with the
     * vectors boxed, depending on the run.
     */
    private static void dense6(
        float[] src,
        int o,
        int e1,
        int e2,
        int e3,
        int e4,
        int e5,
        float[] coef,
        int rows,
        float[] dst,
        int d,
        int step) {
      for (int i = 0; i < rows; i++) {
        row6(src, o, e1, e2, e3, e4, e5, coef, i * 6, dst, d + i * step);
      }
    }

    /** One row of {@link #dense6}: {@code dst[d] = sum_j coef[k + j] * src[o + e_j]}. */
    private static void row6(
        float[] src,
        int o,
        int e1,
        int e2,
        int e3,
        int e4,
        int e5,
        float[] coef,
        int k,
        float[] dst,
        int d) {
      FloatVector acc =
          FloatVector.fromArray(SPECIES, src, o).mul(FloatVector.broadcast(SPECIES, coef[k]));
      acc =
          FloatVector.fromArray(SPECIES, src, o + e1)
              .fma(FloatVector.broadcast(SPECIES, coef[k + 1]), acc);
      acc =
          FloatVector.fromArray(SPECIES, src, o + e2)
              .fma(FloatVector.broadcast(SPECIES, coef[k + 2]), acc);
      acc =
          FloatVector.fromArray(SPECIES, src, o + e3)
              .fma(FloatVector.broadcast(SPECIES, coef[k + 3]), acc);
      acc =
          FloatVector.fromArray(SPECIES, src, o + e4)
              .fma(FloatVector.broadcast(SPECIES, coef[k + 4]), acc);
      FloatVector.fromArray(SPECIES, src, o + e5)
          .fma(FloatVector.broadcast(SPECIES, coef[k + 5]), acc)
          .intoArray(dst, d);
    }

    /**
     * Copies samples {@code [from, to)} into {@code phase} as {@code (sample, channel, row parity,
     * column parity, Ty + A, Tx + A)}, zeros elsewhere (padding, and {@code slack} floats after).
     */
    private void phases(
        float[] input, int from, int to, float[] phase, int slack, int chFrom, int chTo) {
      int h = g.inHeight();
      int w = g.inWidth();
      int channelFloats = m * m * planeSize;
      if (chFrom == 0 && chTo == channels) {
        java.util.Arrays.fill(phase, 0, (to - from) * sampleFloats + slack, 0f);
      } else {
        // Only these channels' planes: reads past them land in columns that are dropped.
        for (int sample = from; sample < to; sample++) {
          int base = (sample - from) * sampleFloats;
          java.util.Arrays.fill(
              phase, base + chFrom * channelFloats, base + chTo * channelFloats, 0f);
        }
        int end = (to - from) * sampleFloats;
        java.util.Arrays.fill(phase, end, end + slack, 0f);
      }
      for (int sample = from; sample < to; sample++) {
        for (int ch = chFrom; ch < chTo; ch++) {
          int src = sample * g.inputSize() + ch * h * w;
          int dst = (sample - from) * sampleFloats + ch * channelFloats;
          for (int y = 0; y < h; y++) {
            int ro = rowOff[y];
            if (ro < 0) {
              continue;
            }
            for (int x = 0; x < w; x++) {
              int co = colOff[x];
              if (co >= 0) {
                phase[dst + ro + co] = input[src + y * w + x];
              }
            }
          }
        }
      }
    }
  }
}
