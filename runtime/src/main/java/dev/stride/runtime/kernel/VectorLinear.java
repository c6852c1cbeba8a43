package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.VectorGemm.MR;
import static dev.stride.runtime.kernel.VectorGemm.NR;

/**
 * Vector API fully connected layer, {@code input (N, F), weight (OF, F), bias (OF) -> (N, OF)}, as
 * the GEMM {@code out[N, OF] = in[N, F] x W^T[F, OF]} on {@link VectorGemm#microKernel}.
 *
 * <p>{@code W^T} is the B operand, packed once into 48-column panels (48 output features, k-major),
 * so the output rows come out contiguous and batch 32 fills the 8-row tiles exactly. Each task
 * packs its samples into 8-row A panels (cheap: N x F against N x F x 48 FLOPs per panel) and walks
 * its weight panels K block by K block, so each 256 x 48 weight block is read from memory once and
 * used by every sample panel while it sits in L1.
 *
 * <p>Batches 1-3 use {@link VectorGemm#rowKernel} instead, one sample at a time straight from the
 * input: a GEMV bound by streaming the weights (fc1 + fc2 of AlexNet: 172 MB), with the 256 x 48
 * weight block kept in L1 while each sample uses it. A single sample reads each panel as eight
 * streams at once ({@link VectorGemm#rowKernel8}): fc1 + fc2 at batch 1 went from 8.8-9.4 to
 * 6.6-6.8 ms, about 26 GB/s (2 threads, one JVM alternating the two builds). Both paths split the
 * weight panels over the threads, so batch 1 streams with both cores.
 */
final class VectorLinear {
  /** K block, as in {@link VectorConvolution#KC}. */
  static final int KC = VectorGemm.KC;

  /** Sample panels per task: 8 x 8 = 64 samples keep the packed input block within L2. */
  static final int PANELS_PER_TASK = 8;

  /**
   * Batches below this use {@link VectorGemm#rowKernel} per sample, reading the input in place:
   * LeNet's 400 -> 120 at batch 1 took 8.5 us on the 8-row kernel (7 zero rows) and 3.5 us on the
   * row kernel; AlexNet's fc1 at batch 1 went from 7.0 to 3.7 ms (28 GB/s of weights, 2 threads).
   * From 4 samples the 8-row kernel wastes at most half its FMAs and reads each weight once.
   */
  static final int ROW_KERNEL_BELOW = 4;

  private VectorLinear() {}

  /**
   * Packs {@code weight (OF, F)} once; the layer maps {@code input (N, F)} to {@code output (N,
   * OF)}, adding {@code bias (OF)} (may be null) and applying {@code activation}.
   */
  static PreparedLayer prepare(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return new Layer(inFeatures, outFeatures, weight, bias, activation, false);
  }

  /**
   * As {@link #prepare}, packing into {@code weight}'s own array where the packed layout has its
   * size (whole tiles of output features), so that no second copy of a large layer is ever held.
   */
  static PreparedLayer prepareInPlace(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return new Layer(inFeatures, outFeatures, weight, bias, activation, true);
  }

  private static final class Layer implements PreparedLayer {
    private final int f;
    private final int of;
    private final int tiles;
    private final int kBlocks;
    private final int kc;
    private final float[] packed;
    private final float[] bias;
    private final Activation activation;

    /**
     * The activation of the tile passes: sigmoid and tanh run instead in one pass over the output
     * after them. Inlined into the tile loop's compilation, the sigmoid loop left JDK 17's C2
     * boxing vectors there when another network had been through the layer's code first with ReLU
     * (LeNet after AlexNet in one JVM).
     */
    private final Activation tileActivation;

    /**
     * False until the first batch-1 call has run, which takes {@link ScalarRowKernels} (same bits),
     * as the vector row kernels are not yet compiled in a fresh JVM. Read and written without
     * synchronisation: a thread that sees it late only takes the scalar path once more.
     */
    private boolean warm;

    Layer(
        int inFeatures,
        int outFeatures,
        float[] weight,
        float[] bias,
        Activation activation,
        boolean inPlace) {
      Geometry.positive("inFeatures", inFeatures);
      Geometry.positive("outFeatures", outFeatures);
      this.f = inFeatures;
      this.of = outFeatures;
      this.activation = activation;
      this.tileActivation = VectorGemm.tilePass(activation);
      this.tiles = (of + NR - 1) / NR;
      this.kBlocks = (f + KC - 1) / KC;
      this.kc = (f + kBlocks - 1) / kBlocks;
      // bias padded to whole tiles so the output pass can read it with full vectors
      this.bias = bias == null ? null : java.util.Arrays.copyOf(bias, tiles * NR);
      int size = Math.multiplyExact(tiles * NR, f);
      if (inPlace && weight.length == size) {
        this.packed = weight;
        packInPlace();
        return;
      }
      this.packed = new float[size];
      for (int t = 0; t < tiles; t++) {
        int base = t * NR * f;
        for (int j = 0; j < NR && t * NR + j < of; j++) {
          int row = (t * NR + j) * f;
          for (int k = 0; k < f; k++) {
            packed[base + k * NR + j] = weight[row + k];
          }
        }
      }
    }

    @Override
    public void run(float[] input, int n, float[] output) {
      run(input, n, output, 0, of, null);
    }

    /**
     * Tile {@code t}'s {@code NR} rows are the same {@code NR * f} floats of the array before and
     * after packing, (NR, f) row-major before and (f, NR) after: each is transposed through a
     * scratch copy of one tile.
     */
    private void packInPlace() {
      float[] tile = new float[NR * f];
      for (int t = 0; t < tiles; t++) {
        int base = t * NR * f;
        System.arraycopy(packed, base, tile, 0, NR * f);
        for (int j = 0; j < NR; j++) {
          for (int k = 0; k < f; k++) {
            packed[base + k * NR + j] = tile[j * f + k];
          }
        }
      }
    }

    @Override
    public boolean rebuildsWeight() {
      return true;
    }

    // packed (tiles of NR features, k-major) -> weight (OF, F): the constructor's loop reversed
    @Override
    public float[] weight() {
      float[] weight = new float[Math.multiplyExact(of, f)];
      for (int o = 0; o < of; o++) {
        int base = o / NR * NR * f + o % NR;
        int row = o * f;
        for (int k = 0; k < f; k++) {
          weight[row + k] = packed[base + k * NR];
        }
      }
      return weight;
    }

    @Override
    public void run(
        float[] input,
        int n,
        float[] output,
        int outFeatureOffset,
        int outFeatures,
        float[] residual) {
      Slices.check(of, outFeatureOffset, outFeatures);
      // Sample s's feature o lands at s * outFeatures + outFeatureOffset + o.
      int stride = outFeatures;
      int off = outFeatureOffset;
      int panels = (n + MR - 1) / MR;
      int rowChunks = (panels + PANELS_PER_TASK - 1) / PANELS_PER_TASK;
      double flops = 2.0 * n * f * of;
      int threads = Parallel.threads();
      if (threads == 1 || flops < VectorConvolution.INLINE_FLOPS) {
        for (int rc = 0; rc < rowChunks; rc++) {
          compute(input, n, output, stride, off, residual, rc, rowChunks, 0, tiles);
        }
      } else {
        // Weight tiles split evenly; with many samples, sample chunks too.
        int colChunks = Math.min(tiles, (threads * 4 + rowChunks - 1) / rowChunks);
        Parallel.forEach(
            rowChunks * colChunks,
            i -> {
              int rc = i / colChunks;
              int cc = i % colChunks;
              compute(
                  input,
                  n,
                  output,
                  stride,
                  off,
                  residual,
                  rc,
                  rowChunks,
                  tiles * cc / colChunks,
                  tiles * (cc + 1) / colChunks);
            });
      }
      if (n == 1 && !warm) {
        warm = true;
      }
      if (tileActivation != activation) {
        if (stride == of) {
          VectorGemm.squash(output, off, n * of, activation);
        } else {
          for (int sample = 0; sample < n; sample++) {
            VectorGemm.squash(output, sample * stride + off, of, activation);
          }
        }
      }
    }

    /** Few samples: one row kernel per sample straight from the input, no padding to 8 rows. */
    private void computeRows(
        float[] input,
        int n,
        float[] output,
        int stride,
        int off,
        float[] residual,
        int tileFrom,
        int tileTo,
        VectorGemm.Scratch s) {
      float[] c = s.c(n * NR);
      if (n == 1) {
        boolean cold = !warm;
        // Eight weight streams per panel, then the few k left over on one.
        int len = f / VectorGemm.STREAMS;
        int rest = VectorGemm.STREAMS * len;
        for (int t = tileFrom; t < tileTo; t++) {
          java.util.Arrays.fill(c, 0, NR, 0f);
          int bOff = t * NR * f;
          if (len > 0 && cold) {
            ScalarRowKernels.rowKernel8(input, 0, packed, bOff, len, c, 0);
          } else if (len > 0) {
            VectorGemm.rowKernel8(input, 0, packed, bOff, len, c, 0);
          }
          if (rest < f && cold) {
            ScalarRowKernels.rowKernel(input, rest, packed, bOff + rest * NR, f - rest, c, 0);
          } else if (rest < f) {
            VectorGemm.rowKernel(input, rest, packed, bOff + rest * NR, f - rest, c, 0);
          }
          int o0 = t * NR;
          VectorEpilogue.store(
              c,
              0,
              output,
              off + o0,
              Math.min(NR, of - o0),
              bias,
              o0,
              residual,
              o0,
              tileActivation);
        }
        return;
      }
      for (int t = tileFrom; t < tileTo; t++) {
        java.util.Arrays.fill(c, 0, n * NR, 0f);
        for (int kb = 0; kb < kBlocks; kb++) {
          int k0 = kb * kc;
          int kLen = Math.min(kc, f - k0);
          int bOff = t * NR * f + k0 * NR;
          for (int r = 0; r < n; r++) {
            VectorGemm.rowKernel(input, r * f + k0, packed, bOff, kLen, c, r * NR);
          }
        }
        int o0 = t * NR;
        int width = Math.min(NR, of - o0);
        for (int r = 0; r < n; r++) {
          VectorEpilogue.store(
              c,
              r * NR,
              output,
              r * stride + off + o0,
              width,
              bias,
              o0,
              residual,
              r * of + o0,
              tileActivation);
        }
      }
    }

    private void compute(
        float[] input,
        int n,
        float[] output,
        int stride,
        int off,
        float[] residual,
        int rowChunk,
        int rowChunks,
        int tileFrom,
        int tileTo) {
      int panels = (n + MR - 1) / MR;
      int panelFrom = panels * rowChunk / rowChunks;
      int panelTo = panels * (rowChunk + 1) / rowChunks;
      if (panelFrom >= panelTo || tileFrom >= tileTo) {
        return;
      }
      VectorGemm.Scratch s = VectorGemm.SCRATCH.get();
      if (n < ROW_KERNEL_BELOW) {
        computeRows(input, n, output, stride, off, residual, tileFrom, tileTo, s);
        return;
      }
      int count = panelTo - panelFrom;
      float[] a = s.b(count * MR * f);
      int rowFrom = panelFrom * MR;
      int rows = Math.min(n, panelTo * MR) - rowFrom;
      // A panels: a[p * F * MR + k * MR + r] = input[(rowFrom + p * MR + r) * F + k], zero rows
      // past n.
      VectorGemm.packRowPanels(input, rowFrom * f, rows, f, a, 0);
      float[] c = s.c(count * MR * NR);
      for (int t = tileFrom; t < tileTo; t++) {
        java.util.Arrays.fill(c, 0, count * MR * NR, 0f);
        for (int kb = 0; kb < kBlocks; kb++) {
          int k0 = kb * kc;
          int kLen = Math.min(kc, f - k0);
          int bOff = t * NR * f + k0 * NR;
          for (int p = 0; p < count; p++) {
            VectorGemm.microKernel(a, p * f * MR + k0 * MR, packed, bOff, kLen, c, p * MR * NR, NR);
          }
        }
        int o0 = t * NR;
        int width = Math.min(NR, of - o0);
        for (int r = 0; r < rows; r++) {
          VectorEpilogue.store(
              c,
              r * NR,
              output,
              (rowFrom + r) * stride + off + o0,
              width,
              bias,
              o0,
              residual,
              (rowFrom + r) * of + o0,
              tileActivation);
        }
      }
    }
  }
}
