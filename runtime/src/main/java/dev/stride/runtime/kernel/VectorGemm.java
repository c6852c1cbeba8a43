package dev.stride.runtime.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The shared pieces of the Vector API convolution and linear layers: the register-blocked GEMM
 * micro-kernels, the weight-panel packing they read, and the fused bias + activation output pass.
 *
 * <p>A micro-kernel computes an {@code MR x NR} block of {@code C = A * B} with {@code A} packed
 * into {@code MR}-row panels stored k-major ({@code a[k * MR + r]}, so one k step reads {@code MR}
 * consecutive floats to broadcast) and {@code B} packed into {@code NR}-column panels stored
 * k-major ({@code b[k * NR + j]}, so one k step reads {@code NR / L} whole vectors).
 *
 * <p>The tile shape, the species and the cache blocking are {@link GemmGeometry}'s choice for this
 * JVM, made once: static finals, so C2 folds the choice of kernel away. Each shape has one kernel
 * method per operand layout ({@code microRxV} packed, {@code directRxV} read in place).
 */
final class VectorGemm {
  /** The blocking this JVM uses; see {@link GemmGeometry}. */
  static final GemmGeometry GEOMETRY =
      GemmGeometry.forThisMachine(FloatVector.SPECIES_PREFERRED.vectorBitSize());

  /**
   * The species every Vector API kernel uses: the preferred one unless {@code -Dstride.vectorBits}
   * asks for a narrower one. One species for all: a second FloatVector shape in the same JVM makes
   * C2 see two implementations, and it then boxes vectors (see VectorKernels).
   */
  static final VectorSpecies<Float> SPECIES =
      VectorSpecies.of(float.class, VectorShape.forBitSize(GEOMETRY.vectorBits()));

  /** Lanes per vector: 16 with AVX-512, 8 with AVX2. */
  static final int L = SPECIES.length();

  /** Rows per micro-tile: 8 for 32 vector registers, 6 for 16; see {@link GemmGeometry}. */
  static final int MR = GEOMETRY.mr();

  /** Vectors per micro-tile row: 3 for 32 registers, 2 for 16. */
  static final int VECTORS = GEOMETRY.vectors();

  /** Columns per micro-tile. */
  static final int NR = VECTORS * L;

  /** K block; see {@link GemmGeometry#kc}. */
  static final int KC = GEOMETRY.kc();

  /** Column tiles per pass over the weights; see {@link GemmGeometry#tiles}. */
  static final int TILES = GEOMETRY.tiles();

  private static final int SHAPE = VECTORS * 10 + MR;

  private VectorGemm() {}

  /**
   * One thread's reusable buffers, grown on demand and never shrunk, so steady-state calls allocate
   * nothing. A buffer is only in use while one task runs on its thread, and tasks never wait on
   * other tasks, so no two users share it.
   */
  static final class Scratch {
    float[] b = new float[0];
    float[] c = new float[0];
    final int[] segJ = new int[TILES * (NR + 1)];
    final int[] segLen = new int[TILES * (NR + 1)];
    final int[] segSample = new int[TILES * (NR + 1)];
    final int[] segPos = new int[TILES * (NR + 1)];
    final int[] segSrc = new int[TILES * (NR + 1)];
    final int[] segCount = new int[TILES];
    float[] pad = new float[0];
    float[] t = new float[0];

    /**
     * A buffer that one layer call fills and its tasks on other threads read (Winograd's input
     * transform at batch 1), owned by the calling thread while {@code sharedInUse}.
     */
    float[] shared = new float[0];

    boolean sharedInUse;

    /** Small staging vectors for the Winograd transforms. */
    float[] t(int size) {
      return t = atLeast(t, size);
    }

    float[] pad(int size) {
      return pad = atLeast(pad, size);
    }

    float[] b(int size) {
      return b = atLeast(b, size);
    }

    float[] c(int size) {
      return c = atLeast(c, size);
    }
  }

  /**
   * {@code a}, or a new array of {@code size} floats if {@code a} is shorter: grow-only buffers.
   */
  static float[] atLeast(float[] a, int size) {
    return a.length < size ? new float[size] : a;
  }

  static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * {@code c[cOff + r * ldc + j] += sum_k a[aOff + k * MR + r] * b[bOff + k * NR + j]} for {@code r
   * < MR, j < NR, k < kc}: this JVM's tile shape.
   *
   * <p>Each shape's kernel is fully unrolled over its accumulators so C2 keeps them in registers
   * (an array of vectors would box them). Like every kernel here it always adds: callers zero
   * {@code c} before the first K block. A flag choosing between loading {@code c} and starting from
   * zero was a branch C2 pruned while only one side had run; once the other side ran, JDK 17
   * recompiled the kernel with some vector stores left unintrinsified and every accumulator boxed
   * (18 GB allocated per AlexNet batch-32 pass, 8x slower).
   */
  static void microKernel(
      float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc) {
    switch (SHAPE) {
      case 38 -> micro8x3(a, aOff, b, bOff, kc, c, cOff, ldc);
      case 26 -> micro6x2(a, aOff, b, bOff, kc, c, cOff, ldc);
      case 34 -> micro4x3(a, aOff, b, bOff, kc, c, cOff, ldc);
      case 24 -> micro4x2(a, aOff, b, bOff, kc, c, cOff, ldc);
      default -> throw new AssertionError(GEOMETRY.shape());
    }
  }

  /**
   * As {@link #microKernel}, but row {@code k} of the B panel is read in place at {@code b[bOff +
   * kOff[k0 + k]...]} instead of from a packed panel: the stride-1 convolution's "wide" columns,
   * where consecutive columns are consecutive floats of the padded input (see VectorConvolution).
   */
  static void directKernel(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    switch (SHAPE) {
      case 38 -> direct8x3(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
      case 26 -> direct6x2(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
      case 34 -> direct4x3(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
      case 24 -> direct4x2(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
      default -> throw new AssertionError(GEOMETRY.shape());
    }
  }

  /** Rows of {@link #directKernel6}'s tile: a convolution with at most 6 output channels. */
  static final int MR6 = 6;

  /** Columns of {@link #directKernel6}'s tile: as many vectors as the registers hold. */
  static final int NR6 = GEOMETRY.narrowVectors() * L;

  /**
   * {@link #directKernel} for a 6-row tile ({@link #MR6} rows of A packed k-major, {@code a[k * MR6
   * + r]}, by {@link #NR6} columns): 6 x 4 vectors with 32 registers, 6 x 2 with 16. For LeNet's
   * first convolution (6 output channels) the 8-row tile spent a quarter of its FMAs on zero rows,
   * and its 896 wide columns fill 14 tiles of 64 exactly against 19 of 48 (912 columns): 26% fewer
   * FMAs. Each value is the same sum in the same k order as in the other kernels.
   */
  static void directKernel6(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    if (NR6 == 4 * L) {
      direct6x4(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
    } else {
      direct6x2(a, aOff, b, bOff, kOff, k0, kc, c, cOff, ldc);
    }
  }

  // The kernels, one per shape and operand layout: rows x vectors. 8 x 3 needs 24 accumulators,
  // 3 B vectors and a broadcast (28 of AVX-512's 32 registers) and issues 24 FMAs per k step for
  // 3 loads and 8 broadcasts; 6 x 2 (12 + 2 + 1 of AVX2's 16, BLIS's Haswell shape) and 4 x 3 (12
  // + 3 + 1) give 12 per k step, still more than 2 FMA ports x 4-5 cycles of latency need.
  //
  //
  // C2 schedules a k step's loads as early as it can: only range checks it cannot remove keep the
  // broadcasts near their FMAs. In the 6-row kernels they stay (6 * k becomes two shifts, which its
  // range-check elimination does not read as a scaled index); a 6-row panel padded to 8 floats per
  // k lost every check, and C2 then held 20 vectors live and spilled accumulators to the stack.
  // 4 x 2 (AVX2's default) has all of a step's broadcasts loaded at once and still fits 16: 8
  // accumulators, 2 B vectors, 4 broadcasts. Its offsets are computed from k, so C2 removes every
  // check and the loop is the FMAs, the loads and the loop counter; see docs/performance-notes.md.

  static void micro8x3(
      float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c02 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c12 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c22 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c32 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c40 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c41 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c42 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c50 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c51 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c52 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c60 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c61 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c62 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c70 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c71 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c72 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    int ai = aOff;
    int bi = bOff;
    for (int k = 0; k < kc; k++, ai += 8, bi += 3 * L) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      av = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      av = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      av = FloatVector.broadcast(SPECIES, a[ai + 6]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      c62 = b2.fma(av, c62);
      av = FloatVector.broadcast(SPECIES, a[ai + 7]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
      c72 = b2.fma(av, c72);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    c02.intoArray(c, o + 2 * L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    c12.intoArray(c, o + 2 * L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    c22.intoArray(c, o + 2 * L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    c32.intoArray(c, o + 2 * L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    c42.intoArray(c, o + 2 * L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
    c52.intoArray(c, o + 2 * L);
    o += ldc;
    c60.intoArray(c, o);
    c61.intoArray(c, o + L);
    c62.intoArray(c, o + 2 * L);
    o += ldc;
    c70.intoArray(c, o);
    c71.intoArray(c, o + L);
    c72.intoArray(c, o + 2 * L);
  }

  static void direct8x3(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c02 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c12 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c22 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c32 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c40 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c41 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c42 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c50 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c51 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c52 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c60 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c61 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c62 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c70 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c71 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c72 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    int ai = aOff;
    for (int k = 0; k < kc; k++, ai += 8) {
      int bi = bOff + kOff[k0 + k];
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      av = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      av = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      av = FloatVector.broadcast(SPECIES, a[ai + 6]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      c62 = b2.fma(av, c62);
      av = FloatVector.broadcast(SPECIES, a[ai + 7]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
      c72 = b2.fma(av, c72);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    c02.intoArray(c, o + 2 * L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    c12.intoArray(c, o + 2 * L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    c22.intoArray(c, o + 2 * L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    c32.intoArray(c, o + 2 * L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    c42.intoArray(c, o + 2 * L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
    c52.intoArray(c, o + 2 * L);
    o += ldc;
    c60.intoArray(c, o);
    c61.intoArray(c, o + L);
    c62.intoArray(c, o + 2 * L);
    o += ldc;
    c70.intoArray(c, o);
    c71.intoArray(c, o + L);
    c72.intoArray(c, o + 2 * L);
  }

  static void micro6x2(
      float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c40 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c41 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c50 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c51 = FloatVector.fromArray(SPECIES, c, o + L);
    int ai = aOff;
    int bi = bOff;
    for (int k = 0; k < kc; k++, ai += 6, bi += 2 * L) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      av = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      av = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
  }

  static void direct6x2(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c40 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c41 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c50 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c51 = FloatVector.fromArray(SPECIES, c, o + L);
    int ai = aOff;
    for (int k = 0; k < kc; k++, ai += 6) {
      int bi = bOff + kOff[k0 + k];
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      av = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      av = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
  }

  static void micro4x3(
      float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c02 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c12 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c22 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c32 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    int ai = aOff;
    int bi = bOff;
    for (int k = 0; k < kc; k++, ai += 4, bi += 3 * L) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    c02.intoArray(c, o + 2 * L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    c12.intoArray(c, o + 2 * L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    c22.intoArray(c, o + 2 * L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    c32.intoArray(c, o + 2 * L);
  }

  static void direct4x3(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c02 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c12 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c22 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c32 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    int ai = aOff;
    for (int k = 0; k < kc; k++, ai += 4) {
      int bi = bOff + kOff[k0 + k];
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    c02.intoArray(c, o + 2 * L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    c12.intoArray(c, o + 2 * L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    c22.intoArray(c, o + 2 * L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    c32.intoArray(c, o + 2 * L);
  }

  static void micro4x2(
      float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    // The loop runs on A's index alone and B's is linear in it: with k as well as both offsets
    // live, C2 ran out of general registers and passed a base address through a vector register
    // every step (see docs/performance-notes.md).
    int bd = bOff - (2 * L / 4) * aOff;
    int aEnd = aOff + 4 * kc;
    for (int ai = aOff; ai < aEnd; ai += 4) {
      int bi = bd + (2 * L / 4) * ai;
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
  }

  static void direct4x2(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    // One induction variable, the row of kOff, as in micro4x2.
    int ad = aOff - 4 * k0;
    for (int q = k0; q < k0 + kc; q++) {
      int ai = ad + 4 * q;
      int bi = bOff + kOff[q];
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
  }

  static void direct6x4(
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int[] kOff,
      int k0,
      int kc,
      float[] c,
      int cOff,
      int ldc) {
    int o = cOff;
    FloatVector c00 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c01 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c02 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c03 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    o += ldc;
    FloatVector c10 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c11 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c12 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c13 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    o += ldc;
    FloatVector c20 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c21 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c22 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c23 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    o += ldc;
    FloatVector c30 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c31 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c32 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c33 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    o += ldc;
    FloatVector c40 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c41 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c42 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c43 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    o += ldc;
    FloatVector c50 = FloatVector.fromArray(SPECIES, c, o);
    FloatVector c51 = FloatVector.fromArray(SPECIES, c, o + L);
    FloatVector c52 = FloatVector.fromArray(SPECIES, c, o + 2 * L);
    FloatVector c53 = FloatVector.fromArray(SPECIES, c, o + 3 * L);
    int ai = aOff;
    for (int k = 0; k < kc; k++, ai += 6) {
      int bi = bOff + kOff[k0 + k];
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
      FloatVector b3 = FloatVector.fromArray(SPECIES, b, bi + 3 * L);
      FloatVector av = FloatVector.broadcast(SPECIES, a[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      c03 = b3.fma(av, c03);
      av = FloatVector.broadcast(SPECIES, a[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      c13 = b3.fma(av, c13);
      av = FloatVector.broadcast(SPECIES, a[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      c23 = b3.fma(av, c23);
      av = FloatVector.broadcast(SPECIES, a[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      c33 = b3.fma(av, c33);
      av = FloatVector.broadcast(SPECIES, a[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      c43 = b3.fma(av, c43);
      av = FloatVector.broadcast(SPECIES, a[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      c53 = b3.fma(av, c53);
    }
    o = cOff;
    c00.intoArray(c, o);
    c01.intoArray(c, o + L);
    c02.intoArray(c, o + 2 * L);
    c03.intoArray(c, o + 3 * L);
    o += ldc;
    c10.intoArray(c, o);
    c11.intoArray(c, o + L);
    c12.intoArray(c, o + 2 * L);
    c13.intoArray(c, o + 3 * L);
    o += ldc;
    c20.intoArray(c, o);
    c21.intoArray(c, o + L);
    c22.intoArray(c, o + 2 * L);
    c23.intoArray(c, o + 3 * L);
    o += ldc;
    c30.intoArray(c, o);
    c31.intoArray(c, o + L);
    c32.intoArray(c, o + 2 * L);
    c33.intoArray(c, o + 3 * L);
    o += ldc;
    c40.intoArray(c, o);
    c41.intoArray(c, o + L);
    c42.intoArray(c, o + 2 * L);
    c43.intoArray(c, o + 3 * L);
    o += ldc;
    c50.intoArray(c, o);
    c51.intoArray(c, o + L);
    c52.intoArray(c, o + 2 * L);
    c53.intoArray(c, o + 3 * L);
  }

  /**
   * One row of {@link #microKernel}: {@code c[cOff + j] += sum_k a[aOff + k] * b[bOff + k * NR +
   * j]}, for a few samples of a linear layer, where padding to 8 rows would waste 7/8 of the FMAs.
   * Even and odd k accumulate separately: six independent FMA chains cover the 4-cycle latency, so
   * the loop runs at the speed of its loads. Tiles of other than 3 vectors take {@link
   * #rowKernelAny}.
   */
  static void rowKernel(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff) {
    if (VECTORS != 3) {
      rowKernelAny(a, aOff, b, bOff, kc, c, cOff);
      return;
    }
    FloatVector c0 = FloatVector.fromArray(SPECIES, c, cOff);
    FloatVector c1 = FloatVector.fromArray(SPECIES, c, cOff + L);
    FloatVector c2 = FloatVector.fromArray(SPECIES, c, cOff + 2 * L);
    FloatVector d0 = FloatVector.zero(SPECIES);
    FloatVector d1 = d0;
    FloatVector d2 = d0;
    int k = 0;
    for (; k + 1 < kc; k += 2) {
      int bi = bOff + k * NR;
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + k]);
      c0 = FloatVector.fromArray(SPECIES, b, bi).fma(x, c0);
      c1 = FloatVector.fromArray(SPECIES, b, bi + L).fma(x, c1);
      c2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L).fma(x, c2);
      FloatVector y = FloatVector.broadcast(SPECIES, a[aOff + k + 1]);
      d0 = FloatVector.fromArray(SPECIES, b, bi + NR).fma(y, d0);
      d1 = FloatVector.fromArray(SPECIES, b, bi + NR + L).fma(y, d1);
      d2 = FloatVector.fromArray(SPECIES, b, bi + NR + 2 * L).fma(y, d2);
    }
    if (k < kc) {
      int bi = bOff + k * NR;
      FloatVector x = FloatVector.broadcast(SPECIES, a[aOff + k]);
      c0 = FloatVector.fromArray(SPECIES, b, bi).fma(x, c0);
      c1 = FloatVector.fromArray(SPECIES, b, bi + L).fma(x, c1);
      c2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L).fma(x, c2);
    }
    c0.add(d0).intoArray(c, cOff);
    c1.add(d1).intoArray(c, cOff + L);
    c2.add(d2).intoArray(c, cOff + 2 * L);
  }

  /**
   * {@link #rowKernel} for any {@link #VECTORS}: one column vector at a time, with four FMA chains
   * (k mod 4) so that latency does not bound it either, and few enough registers for 16.
   */
  static void rowKernelAny(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff) {
    for (int j = 0; j < NR; j += L) {
      FloatVector c0 = FloatVector.fromArray(SPECIES, c, cOff + j);
      FloatVector c1 = FloatVector.zero(SPECIES);
      FloatVector c2 = c1;
      FloatVector c3 = c1;
      int k = 0;
      for (; k + 3 < kc; k += 4) {
        int bi = bOff + k * NR + j;
        c0 =
            FloatVector.fromArray(SPECIES, b, bi)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k]), c0);
        c1 =
            FloatVector.fromArray(SPECIES, b, bi + NR)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 1]), c1);
        c2 =
            FloatVector.fromArray(SPECIES, b, bi + 2 * NR)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 2]), c2);
        c3 =
            FloatVector.fromArray(SPECIES, b, bi + 3 * NR)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 3]), c3);
      }
      for (; k < kc; k++) {
        c0 =
            FloatVector.fromArray(SPECIES, b, bOff + k * NR + j)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k]), c0);
      }
      c0.add(c1).add(c2.add(c3)).intoArray(c, cOff + j);
    }
  }

  /** Weight streams of {@link #rowKernel8}. */
  static final int STREAMS = 8;

  /**
   * The sum of {@link #rowKernel} over {@code k < 8 * len} as eight streams: stream {@code s} takes
   * {@code k in [s * len, (s + 1) * len)}, and the eight partial sums are added into {@code c} at
   * the end. For a single sample's GEMV, bound by reading the weights from memory: one core
   * following one sequential stream reads less than the memory system gives it, and more streams
   * keep more reads in flight. Tiles of other than 3 vectors take {@link #rowKernel8Any}.
   */
  static void rowKernel8(float[] a, int aOff, float[] b, int bOff, int len, float[] c, int cOff) {
    if (VECTORS == 2) {
      rowKernel8Two(a, aOff, b, bOff, len, c, cOff);
      return;
    }
    if (VECTORS != 3) {
      rowKernel8Any(a, aOff, b, bOff, len, c, cOff);
      return;
    }
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector s0a = zero;
    FloatVector s0b = zero;
    FloatVector s0c = zero;
    FloatVector s1a = zero;
    FloatVector s1b = zero;
    FloatVector s1c = zero;
    FloatVector s2a = zero;
    FloatVector s2b = zero;
    FloatVector s2c = zero;
    FloatVector s3a = zero;
    FloatVector s3b = zero;
    FloatVector s3c = zero;
    FloatVector s4a = zero;
    FloatVector s4b = zero;
    FloatVector s4c = zero;
    FloatVector s5a = zero;
    FloatVector s5b = zero;
    FloatVector s5c = zero;
    FloatVector s6a = zero;
    FloatVector s6b = zero;
    FloatVector s6c = zero;
    FloatVector s7a = zero;
    FloatVector s7b = zero;
    FloatVector s7c = zero;
    int step = len * NR;
    for (int k = 0; k < len; k++) {
      int bi = bOff + k * NR;
      FloatVector x;
      x = FloatVector.broadcast(SPECIES, a[aOff + k]);
      s0a = FloatVector.fromArray(SPECIES, b, bi).fma(x, s0a);
      s0b = FloatVector.fromArray(SPECIES, b, bi + L).fma(x, s0b);
      s0c = FloatVector.fromArray(SPECIES, b, bi + 2 * L).fma(x, s0c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 1 * len]);
      s1a = FloatVector.fromArray(SPECIES, b, bi + 1 * step).fma(x, s1a);
      s1b = FloatVector.fromArray(SPECIES, b, bi + 1 * step + L).fma(x, s1b);
      s1c = FloatVector.fromArray(SPECIES, b, bi + 1 * step + 2 * L).fma(x, s1c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 2 * len]);
      s2a = FloatVector.fromArray(SPECIES, b, bi + 2 * step).fma(x, s2a);
      s2b = FloatVector.fromArray(SPECIES, b, bi + 2 * step + L).fma(x, s2b);
      s2c = FloatVector.fromArray(SPECIES, b, bi + 2 * step + 2 * L).fma(x, s2c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 3 * len]);
      s3a = FloatVector.fromArray(SPECIES, b, bi + 3 * step).fma(x, s3a);
      s3b = FloatVector.fromArray(SPECIES, b, bi + 3 * step + L).fma(x, s3b);
      s3c = FloatVector.fromArray(SPECIES, b, bi + 3 * step + 2 * L).fma(x, s3c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 4 * len]);
      s4a = FloatVector.fromArray(SPECIES, b, bi + 4 * step).fma(x, s4a);
      s4b = FloatVector.fromArray(SPECIES, b, bi + 4 * step + L).fma(x, s4b);
      s4c = FloatVector.fromArray(SPECIES, b, bi + 4 * step + 2 * L).fma(x, s4c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 5 * len]);
      s5a = FloatVector.fromArray(SPECIES, b, bi + 5 * step).fma(x, s5a);
      s5b = FloatVector.fromArray(SPECIES, b, bi + 5 * step + L).fma(x, s5b);
      s5c = FloatVector.fromArray(SPECIES, b, bi + 5 * step + 2 * L).fma(x, s5c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 6 * len]);
      s6a = FloatVector.fromArray(SPECIES, b, bi + 6 * step).fma(x, s6a);
      s6b = FloatVector.fromArray(SPECIES, b, bi + 6 * step + L).fma(x, s6b);
      s6c = FloatVector.fromArray(SPECIES, b, bi + 6 * step + 2 * L).fma(x, s6c);
      x = FloatVector.broadcast(SPECIES, a[aOff + k + 7 * len]);
      s7a = FloatVector.fromArray(SPECIES, b, bi + 7 * step).fma(x, s7a);
      s7b = FloatVector.fromArray(SPECIES, b, bi + 7 * step + L).fma(x, s7b);
      s7c = FloatVector.fromArray(SPECIES, b, bi + 7 * step + 2 * L).fma(x, s7c);
    }
    FloatVector.fromArray(SPECIES, c, cOff)
        .add(s0a.add(s1a).add(s2a.add(s3a)).add(s4a.add(s5a).add(s6a.add(s7a))))
        .intoArray(c, cOff);
    FloatVector.fromArray(SPECIES, c, cOff + L)
        .add(s0b.add(s1b).add(s2b.add(s3b)).add(s4b.add(s5b).add(s6b.add(s7b))))
        .intoArray(c, cOff + L);
    FloatVector.fromArray(SPECIES, c, cOff + 2 * L)
        .add(s0c.add(s1c).add(s2c.add(s3c)).add(s4c.add(s5c).add(s6c.add(s7c))))
        .intoArray(c, cOff + 2 * L);
  }

  /**
   * {@link #rowKernel8} for 2-vector tiles (16 registers): streams 0-3, then 4-7, each over both
   * column vectors, so that every stream reads whole tile rows (a cache line with 8 lanes) in one
   * pass over the panel; one column vector at a time would read each line twice, the second time
   * from L2 once the panel outgrows L1. The sums and their order are {@link #rowKernel8Any}'s.
   */
  static void rowKernel8Two(
      float[] a, int aOff, float[] b, int bOff, int len, float[] c, int cOff) {
    int step = len * NR;
    FloatVector pa = null;
    FloatVector pb = null;
    for (int half = 0; half < 2; half++) {
      int a0 = aOff + 4 * half * len;
      int b0 = bOff + 4 * half * step;
      FloatVector s0a = FloatVector.zero(SPECIES);
      FloatVector s0b = s0a;
      FloatVector s1a = s0a;
      FloatVector s1b = s0a;
      FloatVector s2a = s0a;
      FloatVector s2b = s0a;
      FloatVector s3a = s0a;
      FloatVector s3b = s0a;
      for (int k = 0; k < len; k++) {
        int bi = b0 + k * NR;
        FloatVector x;
        x = FloatVector.broadcast(SPECIES, a[a0 + k]);
        s0a = FloatVector.fromArray(SPECIES, b, bi).fma(x, s0a);
        s0b = FloatVector.fromArray(SPECIES, b, bi + L).fma(x, s0b);
        x = FloatVector.broadcast(SPECIES, a[a0 + k + len]);
        s1a = FloatVector.fromArray(SPECIES, b, bi + step).fma(x, s1a);
        s1b = FloatVector.fromArray(SPECIES, b, bi + step + L).fma(x, s1b);
        x = FloatVector.broadcast(SPECIES, a[a0 + k + 2 * len]);
        s2a = FloatVector.fromArray(SPECIES, b, bi + 2 * step).fma(x, s2a);
        s2b = FloatVector.fromArray(SPECIES, b, bi + 2 * step + L).fma(x, s2b);
        x = FloatVector.broadcast(SPECIES, a[a0 + k + 3 * len]);
        s3a = FloatVector.fromArray(SPECIES, b, bi + 3 * step).fma(x, s3a);
        s3b = FloatVector.fromArray(SPECIES, b, bi + 3 * step + L).fma(x, s3b);
      }
      FloatVector qa = s0a.add(s1a).add(s2a.add(s3a));
      FloatVector qb = s0b.add(s1b).add(s2b.add(s3b));
      if (half == 0) {
        pa = qa;
        pb = qb;
      } else {
        pa = pa.add(qa);
        pb = pb.add(qb);
      }
    }
    FloatVector.fromArray(SPECIES, c, cOff).add(pa).intoArray(c, cOff);
    FloatVector.fromArray(SPECIES, c, cOff + L).add(pb).intoArray(c, cOff + L);
  }

  /**
   * {@link #rowKernel8} for any {@link #VECTORS}: one column vector at a time, eight streams of it
   * (8 accumulators, within 16 registers).
   */
  static void rowKernel8Any(
      float[] a, int aOff, float[] b, int bOff, int len, float[] c, int cOff) {
    int step = len * NR;
    for (int j = 0; j < NR; j += L) {
      FloatVector s0 = FloatVector.zero(SPECIES);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      FloatVector s4 = s0;
      FloatVector s5 = s0;
      FloatVector s6 = s0;
      FloatVector s7 = s0;
      for (int k = 0; k < len; k++) {
        int bi = bOff + k * NR + j;
        s0 =
            FloatVector.fromArray(SPECIES, b, bi)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k]), s0);
        s1 =
            FloatVector.fromArray(SPECIES, b, bi + step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + len]), s1);
        s2 =
            FloatVector.fromArray(SPECIES, b, bi + 2 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 2 * len]), s2);
        s3 =
            FloatVector.fromArray(SPECIES, b, bi + 3 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 3 * len]), s3);
        s4 =
            FloatVector.fromArray(SPECIES, b, bi + 4 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 4 * len]), s4);
        s5 =
            FloatVector.fromArray(SPECIES, b, bi + 5 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 5 * len]), s5);
        s6 =
            FloatVector.fromArray(SPECIES, b, bi + 6 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 6 * len]), s6);
        s7 =
            FloatVector.fromArray(SPECIES, b, bi + 7 * step)
                .fma(FloatVector.broadcast(SPECIES, a[aOff + k + 7 * len]), s7);
      }
      FloatVector.fromArray(SPECIES, c, cOff + j)
          .add(s0.add(s1).add(s2.add(s3)).add(s4.add(s5).add(s6.add(s7))))
          .intoArray(c, cOff + j);
    }
  }

  /** Copies one vector: {@code dst[dstOff, dstOff + L) = src[srcOff, srcOff + L)}. */
  static void copy(float[] src, int srcOff, float[] dst, int dstOff) {
    FloatVector.fromArray(SPECIES, src, srcOff).intoArray(dst, dstOff);
  }

  /**
   * Packs rows {@code [row0, row0 + rows)} of a row-major {@code (R, K)} matrix {@code src} (row
   * stride {@code K}, starting at {@code srcOff}) into {@code ceil(rows / MR)} panels at {@code
   * dst[dstOff...]}, each {@code K * MR} floats stored k-major; rows past {@code rows} are zero so
   * the micro-kernel never needs a row tail.
   */
  static void packRowPanels(float[] src, int srcOff, int rows, int k, float[] dst, int dstOff) {
    int panels = (rows + MR - 1) / MR;
    for (int p = 0; p < panels; p++) {
      int base = dstOff + p * k * MR;
      for (int r = 0; r < MR; r++) {
        int row = p * MR + r;
        if (row >= rows) {
          for (int kk = 0; kk < k; kk++) {
            dst[base + kk * MR + r] = 0f;
          }
          continue;
        }
        int s = srcOff + row * k;
        for (int kk = 0; kk < k; kk++) {
          dst[base + kk * MR + r] = src[s + kk];
        }
      }
    }
  }

  /**
   * The inverse of {@link #packRowPanels}: {@code rows} rows of {@code k} values back from the
   * panels at {@code src[srcOff]} into {@code dst[dstOff]}, row-major; the padding rows are
   * skipped. Packing only moves values, so the rows come back bit for bit.
   */
  static void unpackRowPanels(float[] src, int srcOff, int rows, int k, float[] dst, int dstOff) {
    for (int row = 0; row < rows; row++) {
      int base = srcOff + row / MR * k * MR + row % MR;
      int d = dstOff + row * k;
      for (int kk = 0; kk < k; kk++) {
        dst[d + kk] = src[base + kk * MR];
      }
    }
  }

  /**
   * Writes {@code activation(src[srcOff + i] + bias)} to {@code dst[dstOff + i]} for {@code i <
   * len}: the convolution's fused output pass.
   *
   * <p>Bias and ReLU are applied in one loop; sigmoid and tanh then run in place over the stored
   * values, which are still in L1. They are kept out of this loop because their bodies are too big
   * for C2 to inline at every call site here, and a FloatVector passed to a method that is not
   * inlined is boxed: measured at ~16 KB allocated per LeNet sample before this split. For the same
   * reason ReLU is written out in each loop ({@code max(v, 0)} as a blend on {@code v < 0}: NaN
   * compares false and stays NaN, as in torch) rather than called: a {@code relu(FloatVector)}
   * helper that C2 declined to inline in the linear layer's output pass cost 3 MB of boxes per
   * AlexNet batch of 32 (JMH {@code -prof gc}).
   */
  static void biasActivate(
      float[] src, int srcOff, float[] dst, int dstOff, int len, float bias, Activation act) {
    int i = 0;
    int bound = SPECIES.loopBound(len);
    // The bias added as a scalar in each step, not as one vector broadcast before the loop: held
    // across the loop, that vector was what JDK 17's C2 boxed in the Winograd output pass, once
    // per call (3 MB per AlexNet batch-32 pass in most runs, JFR allocation samples).
    if (act == Activation.RELU) {
      for (; i < bound; i += L) {
        FloatVector v = FloatVector.fromArray(SPECIES, src, srcOff + i).add(bias);
        v.blend(0f, v.lt(0f)).intoArray(dst, dstOff + i);
      }
    } else if (act == Activation.RELU6) {
      for (; i < bound; i += L) {
        FloatVector v = FloatVector.fromArray(SPECIES, src, srcOff + i).add(bias);
        v = v.blend(0f, v.lt(0f));
        v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(dst, dstOff + i);
      }
    } else {
      for (; i < bound; i += L) {
        FloatVector.fromArray(SPECIES, src, srcOff + i).add(bias).intoArray(dst, dstOff + i);
      }
    }
    if (i < len) {
      // A whole vector on a staged copy, not a scalar loop: every value then goes through the same
      // float function, so where a value falls in a tile does not change its bits. Not masked:
      // see VectorKernels.stageTail.
      float[] t = VectorKernels.stageTail(src, srcOff + i, srcOff + len);
      FloatVector v = FloatVector.fromArray(SPECIES, t, 0).add(bias);
      // A store in each branch, not one vector reassigned in a branch: merging two vectors in a
      // phi is what JDK 17's C2, recompiling after the branch's first use, boxed (see
      // microKernel).
      if (act == Activation.RELU) {
        v.blend(0f, v.lt(0f)).intoArray(t, 0);
      } else if (act == Activation.RELU6) {
        FloatVector z = v.blend(0f, v.lt(0f));
        z.blend(6f, z.compare(VectorOperators.GT, 6f)).intoArray(t, 0);
      } else {
        v.intoArray(t, 0);
      }
      System.arraycopy(t, 0, dst, dstOff + i, len - i);
    }
    squash(dst, dstOff, len, act);
  }

  /**
   * As {@link #biasActivate(float[], int, float[], int, int, float, Activation)} with a bias per
   * element, {@code bias[biasOff + i]} ({@code bias} may be null): the linear layer's output pass.
   */
  static void biasActivate(
      float[] src,
      int srcOff,
      float[] dst,
      int dstOff,
      int len,
      float[] bias,
      int biasOff,
      Activation act) {
    if (bias == null) {
      biasActivate(src, srcOff, dst, dstOff, len, 0f, act);
      return;
    }
    int i = 0;
    int bound = SPECIES.loopBound(len);
    if (act == Activation.RELU) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(FloatVector.fromArray(SPECIES, bias, biasOff + i));
        v.blend(0f, v.lt(0f)).intoArray(dst, dstOff + i);
      }
    } else if (act == Activation.RELU6) {
      for (; i < bound; i += L) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, src, srcOff + i)
                .add(FloatVector.fromArray(SPECIES, bias, biasOff + i));
        v = v.blend(0f, v.lt(0f));
        v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(dst, dstOff + i);
      }
    } else {
      for (; i < bound; i += L) {
        FloatVector.fromArray(SPECIES, src, srcOff + i)
            .add(FloatVector.fromArray(SPECIES, bias, biasOff + i))
            .intoArray(dst, dstOff + i);
      }
    }
    if (i < len) {
      // Staged for the reason given in the per-channel form above; the bias goes in the second
      // vector of the staging buffer.
      float[] t = VectorKernels.stageTail(src, srcOff + i, srcOff + len);
      System.arraycopy(bias, biasOff + i, t, L, len - i);
      java.util.Arrays.fill(t, L + len - i, 2 * L, 0f);
      FloatVector v =
          FloatVector.fromArray(SPECIES, t, 0).add(FloatVector.fromArray(SPECIES, t, L));
      if (act == Activation.RELU) {
        v.blend(0f, v.lt(0f)).intoArray(t, 0);
      } else if (act == Activation.RELU6) {
        FloatVector z = v.blend(0f, v.lt(0f));
        z.blend(6f, z.compare(VectorOperators.GT, 6f)).intoArray(t, 0);
      } else {
        v.intoArray(t, 0);
      }
      System.arraycopy(t, 0, dst, dstOff + i, len - i);
    }
    squash(dst, dstOff, len, act);
  }

  /**
   * The activation a tile pass applies when sigmoid and tanh run in a pass of their own over the
   * finished output ({@link #squash}): {@code NONE} for those two, {@code act} otherwise.
   */
  static Activation tilePass(Activation act) {
    return act == Activation.SIGMOID || act == Activation.TANH ? Activation.NONE : act;
  }

  /** Applies sigmoid or tanh in place to {@code x[off, off + len)}; other activations are done. */
  static void squash(float[] x, int off, int len, Activation act) {
    if (act == Activation.SIGMOID) {
      VectorKernels.sigmoid(x, off, off + len);
    } else if (act == Activation.TANH) {
      VectorKernels.tanh(x, off, off + len);
    }
  }
}
