package dev.stride.runtime.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the Vector API ({@code jdk.incubator.vector}), multithreaded over {@link Parallel}'s
 * pool; convolution and linear layers are {@link VectorConvolution} and {@link VectorLinear}.
 *
 * <p>{@link KernelProvider} loads this class by name, and only when the JVM has the incubator
 * module, so nothing else links against it. Results match {@link ScalarKernels} within float
 * rounding: sums run in float lanes (in a different order) where the scalar code uses double, and
 * sigmoid, tanh and exp are {@link VectorMath}'s float approximations, which (unlike the Vector
 * API's EXP and TANH) give the same bits before and after the JIT compiles them.
 *
 * <p>Every vector loop runs to {@code SPECIES.loopBound(length)} and finishes with a scalar tail,
 * except sigmoid and tanh, whose last partial vector is copied into a zero-padded staging buffer
 * and goes through the same vector code (see {@link #stageTail}), so that no result depends on its
 * position.
 */
public final class VectorKernels implements Kernels {
  /**
   * The widest species the CPU runs natively (16 floats with AVX-512, 8 with AVX2), unless {@code
   * -Dstride.vectorBits} forces a narrower one.
   */
  private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;

  private static final int LANES = SPECIES.length();

  /**
   * {@link #SPECIES}'s bits as pairs of floats, and as ints, for {@link #pairSums}. Same shape as
   * {@link #SPECIES} on purpose: using a vector class of another shape (say a 256-bit FloatVector
   * beside the 512-bit one) makes C2 see two implementations of FloatVector's methods, and it then
   * boxed every vector in the GEMM micro-kernels.
   */
  private static final VectorSpecies<Long> PAIRS =
      VectorSpecies.of(long.class, SPECIES.vectorShape());

  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, SPECIES.vectorShape());

  /** Floats of vertical sums per block in {@link #avgPool2x2Exact}: 16 KB, within L1. */
  private static final int SUM_BLOCK = 4096;

  /**
   * Elementwise and pooling work under this many floats stays on the calling thread: handing work
   * to the pool costs a few microseconds, about what one thread needs for this many floats.
   */
  private static final int PARALLEL_GRAIN = 1 << 15;

  /**
   * One input row's worth of vertical maxima or sums per thread, grown on demand: pooling runs
   * every frame, and a fresh row per call would be garbage in the steady state. A pooling body
   * never waits on other tasks while it holds the row, so no two bodies share it on one thread.
   */
  private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[64]);

  static {
    VectorProfiles.seedIfEnabled();
  }

  /** Creates the (stateless) kernels; {@link KernelProvider} calls this reflectively. */
  public VectorKernels() {}

  @Override
  public String name() {
    return "vector";
  }

  // ---- convolution and linear: prepared GEMMs ----

  // input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) -> (N, OC, OH, OW)
  @Override
  public void conv2d(
      float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {
    // Unplanned callers pay the packing every call; CompiledNetwork prepares once instead.
    VectorConvolution.prepare(g, weight, bias, Activation.NONE).run(input, n, output);
  }

  // input (N, F), weight (OF, F), bias (OF) -> (N, OF)
  @Override
  public void linear(
      float[] input,
      int n,
      int inFeatures,
      float[] weight,
      float[] bias,
      int outFeatures,
      float[] output) {
    VectorLinear.prepare(inFeatures, outFeatures, weight, bias, Activation.NONE)
        .run(input, n, output);
  }

  @Override
  public PreparedLayer prepareConv2d(
      Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
    WinogradMatrices w = WinogradMatrices.choose(g);
    if (w != null) {
      return VectorWinograd.prepareBest(g, w, weight, bias, activation);
    }
    if (VectorDepthwise.suits(g)) {
      return VectorDepthwise.prepare(g, weight, bias, activation);
    }
    return VectorConvolution.prepare(g, weight, bias, activation);
  }

  @Override
  public PreparedLayer prepareInvertedResidual(
      InvertedResidualGeometry g,
      float[] expandWeight,
      float[] expandBias,
      float[] depthwiseWeight,
      float[] depthwiseBias,
      float[] projectWeight,
      float[] projectBias) {
    if (!VectorInvertedResidual.suits(g)) {
      return null;
    }
    return VectorInvertedResidual.prepare(
        g, expandWeight, expandBias, depthwiseWeight, depthwiseBias, projectWeight, projectBias);
  }

  @Override
  public PreparedLayer prepareLinear(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return VectorLinear.prepare(inFeatures, outFeatures, weight, bias, activation);
  }

  @Override
  public PreparedLayer prepareLinearHandedOver(
      int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
    return VectorLinear.prepareInPlace(inFeatures, outFeatures, weight, bias, activation);
  }

  // ---- elementwise ----

  // x (L) -> x (L)
  @Override
  public void relu(float[] x, int length) {
    inChunks(length, (from, to) -> relu(x, from, to));
  }

  /** ReLU on {@code x[from, to)}; also the activation pass of the prepared GEMMs. */
  static void relu(float[] x, int from, int to) {
    FloatVector zero = FloatVector.zero(SPECIES);
    int i = from;
    for (int bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, i);
      // A compare and blend rather than max(): NaN < 0 is false, so NaN stays NaN (as torch.relu),
      // and -0 stays -0 exactly as in the scalar kernel.
      v.blend(zero, v.lt(zero)).intoArray(x, i);
    }
    for (; i < to; i++) {
      if (x[i] < 0f) {
        x[i] = 0f;
      }
    }
  }

  // x (L) -> x (L)
  @Override
  public void relu6(float[] x, int length) {
    inChunks(length, (from, to) -> relu6(x, from, to));
  }

  /** ReLU6 on {@code x[from, to)}: compares and blends, so NaN stays NaN as in {@link #relu}. */
  static void relu6(float[] x, int from, int to) {
    int i = from;
    for (int bound = from + SPECIES.loopBound(to - from); i < bound; i += LANES) {
      FloatVector v = FloatVector.fromArray(SPECIES, x, i);
      v = v.blend(0f, v.lt(0f));
      v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(x, i);
    }
    for (; i < to; i++) {
      if (x[i] < 0f) {
        x[i] = 0f;
      } else if (x[i] > 6f) {
        x[i] = 6f;
      }
    }
  }

  // a (L), b (L) -> out (L)
  @Override
  public void add(float[] a, float[] b, float[] out, int length, Activation act) {
    inChunks(length, (from, to) -> add(a, b, out, from, to, act));
  }

  /**
   * {@code out[i] = act(a[i] + b[i])} on {@code [from, to)}: the sum and ReLU/ReLU6 in one loop,
   * sigmoid and tanh in a pass of their own over the stored sums, as in the GEMMs' output pass.
   */
  static void add(float[] a, float[] b, float[] out, int from, int to, Activation act) {
    int i = from;
    int bound = from + SPECIES.loopBound(to - from);
    if (act == Activation.RELU) {
      for (; i < bound; i += LANES) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, a, i).add(FloatVector.fromArray(SPECIES, b, i));
        v.blend(0f, v.lt(0f)).intoArray(out, i);
      }
    } else if (act == Activation.RELU6) {
      for (; i < bound; i += LANES) {
        FloatVector v =
            FloatVector.fromArray(SPECIES, a, i).add(FloatVector.fromArray(SPECIES, b, i));
        v = v.blend(0f, v.lt(0f));
        v.blend(6f, v.compare(VectorOperators.GT, 6f)).intoArray(out, i);
      }
    } else {
      for (; i < bound; i += LANES) {
        FloatVector.fromArray(SPECIES, a, i)
            .add(FloatVector.fromArray(SPECIES, b, i))
            .intoArray(out, i);
      }
    }
    for (; i < to; i++) {
      float v = a[i] + b[i];
      if (act == Activation.RELU || act == Activation.RELU6) {
        v = act.apply(v);
      }
      out[i] = v;
    }
    VectorGemm.squash(out, from, to - from, act);
  }

  // src (N, C, S) -> dst (N, DC, S) at channels [offset, offset + C)
  @Override
  public void copyChannels(
      float[] src, int n, int channels, int spatial, float[] dst, int dstOffset, int dstChannels) {
    Slices.check(channels, dstOffset, dstChannels);
    int block = channels * spatial;
    // Split over the flat source, so one large sample is shared by the threads as well.
    inChunks(
        n * block,
        (from, to) -> {
          while (from < to) {
            int s = from / block;
            int at = from - s * block;
            int len = Math.min(to - from, block - at);
            System.arraycopy(src, from, dst, (s * dstChannels + dstOffset) * spatial + at, len);
            from += len;
          }
        });
  }

  // x (L) -> x (L)
  @Override
  public void sigmoid(float[] x, int length) {
    inChunks(length, (from, to) -> sigmoid(x, from, to));
  }

  /** Per-thread staging buffers for partial vectors: two vectors' worth, see {@link #stageTail}. */
  private static final ThreadLocal<float[]> TAIL =
      ThreadLocal.withInitial(() -> new float[2 * LANES]);

  /**
   * Copies {@code x[from, to)} (fewer than one vector) to the start of this thread's staging
   * buffer, zeros the rest of its first vector, and returns it.
   *
   * <p>Partial vectors are staged rather than masked: on JDK 17, C2 does not intrinsify {@code
   * indexInRange} masks and masked loads/stores, which then run as boxed Java code that allocates
   * on every call, and a scalar tail would compute different bits than the vector body.
   */
  static float[] stageTail(float[] x, int from, int to) {
    float[] t = TAIL.get();
    int n = to - from;
    System.arraycopy(x, from, t, 0, n);
    Arrays.fill(t, n, LANES, 0f);
    return t;
  }

  /**
   * Sigmoid on {@code x[from, to)}; exp(-x) overflowing to infinity gives exactly 0.
   *
   * <p>The tail is one staged vector (see {@link #stageTail}) rather than a scalar loop, so that
   * every value goes through the same float function: a value's result then does not depend on
   * where it falls in the array, and a batch of N gives bit for bit the results of N single
   * samples.
   */
  static void sigmoid(float[] x, int from, int to) {
    // Whole vectors in place, then the last partial vector through the same loop on a staged
    // copy (see stageTail); VectorMath.sigmoidInPlace says why it is an array loop.
    int bound = from + SPECIES.loopBound(to - from);
    VectorMath.sigmoidInPlace(x, from, bound);
    if (bound < to) {
      float[] t = stageTail(x, bound, to);
      VectorMath.sigmoidInPlace(t, 0, LANES);
      System.arraycopy(t, 0, x, bound, to - bound);
    }
  }

  // x (L) -> x (L)
  @Override
  public void tanh(float[] x, int length) {
    inChunks(length, (from, to) -> tanh(x, from, to));
  }

  /** Tanh on {@code x[from, to)}, its last partial vector staged as {@link #sigmoid} does. */
  static void tanh(float[] x, int from, int to) {
    // One call site, so C2 inlines VectorMath.tanh once; the last partial vector goes through
    // the same call on a staged copy (see stageTail).
    int bound = from + SPECIES.loopBound(to - from);
    int end = bound < to ? bound + LANES : bound;
    float[] t = null;
    for (int i = from; i < end; i += LANES) {
      float[] a = x;
      int o = i;
      if (i == bound) {
        t = stageTail(x, i, to);
        a = t;
        o = 0;
      }
      VectorMath.tanh(FloatVector.fromArray(SPECIES, a, o)).intoArray(a, o);
    }
    if (t != null) {
      System.arraycopy(t, 0, x, bound, to - bound);
    }
  }

  // x (N, F) -> x (N, F)
  @Override
  public void softmax(float[] x, int n, int features) {
    // Rows are short (class scores), so they are not split over threads.
    for (int s = 0; s < n; s++) {
      int from = s * features;
      int to = from + features;
      int bound = from + SPECIES.loopBound(features);
      // Subtracting the row maximum keeps exp() from overflowing; it cancels in the quotient.
      // max() follows Math.max, so a NaN anywhere makes the whole row NaN, as in PyTorch.
      float max = Float.NEGATIVE_INFINITY;
      int i = from;
      if (i < bound) {
        FloatVector m = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += LANES) {
          m = m.max(FloatVector.fromArray(SPECIES, x, i));
        }
        max = m.reduceLanes(VectorOperators.MAX);
      }
      for (; i < to; i++) {
        max = Math.max(max, x[i]);
      }
      FloatVector sums = FloatVector.zero(SPECIES);
      i = from;
      for (; i < bound; i += LANES) {
        FloatVector e = VectorMath.exp(FloatVector.fromArray(SPECIES, x, i).sub(max));
        e.intoArray(x, i);
        sums = sums.add(e);
      }
      double sum = sums.reduceLanes(VectorOperators.ADD);
      for (; i < to; i++) {
        float e = (float) Math.exp((double) x[i] - max);
        x[i] = e;
        sum += e;
      }
      float inverse = (float) (1.0 / sum);
      i = from;
      for (; i < bound; i += LANES) {
        FloatVector.fromArray(SPECIES, x, i).mul(inverse).intoArray(x, i);
      }
      for (; i < to; i++) {
        x[i] *= inverse;
      }
    }
  }

  // x (N, C, S), mean/var/weight/bias (C) -> x (N, C, S)
  @Override
  public void batchNorm(
      float[] x,
      int n,
      int channels,
      int spatial,
      float[] mean,
      float[] var,
      float[] weight,
      float[] bias,
      double eps) {
    inPlanes(
        n * channels,
        spatial,
        (first, last) -> {
          for (int p = first; p < last; p++) {
            int c = p % channels;
            // Folded into x * scale + shift per channel in double, then one float FMA per value.
            double scaleD = weight[c] / Math.sqrt(var[c] + eps);
            float scale = (float) scaleD;
            float shift = (float) (bias[c] - mean[c] * scaleD);
            int from = p * spatial;
            int to = from + spatial;
            int i = from;
            for (int bound = from + SPECIES.loopBound(spatial); i < bound; i += LANES) {
              FloatVector.fromArray(SPECIES, x, i).fma(scale, shift).intoArray(x, i);
            }
            for (; i < to; i++) {
              x[i] = Math.fma(x[i], scale, shift);
            }
          }
        });
  }

  // ---- pooling ----

  // (N, C, S) -> (N, C)
  @Override
  public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {
    inPlanes(
        n * channels,
        spatial,
        (first, last) -> {
          for (int p = first; p < last; p++) {
            int from = p * spatial;
            int to = from + spatial;
            int i = from;
            FloatVector sums = FloatVector.zero(SPECIES);
            for (int bound = from + SPECIES.loopBound(spatial); i < bound; i += LANES) {
              sums = sums.add(FloatVector.fromArray(SPECIES, input, i));
            }
            double sum = sums.reduceLanes(VectorOperators.ADD);
            for (; i < to; i++) {
              sum += input[i];
            }
            output[p] = (float) (sum / spatial);
          }
        });
  }

  // (N, C, H, W) -> (N, C, OH, OW)
  @Override
  public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {
    boolean cold = isFlatStride2(g) && coldPooling();
    inPlanes(
        n * g.channels(),
        g.inHeight() * g.inWidth(),
        (first, last) -> {
          if (cold) {
            maxPoolScalar(input, first, last, g, output);
            return;
          }
          if (isFlatStride2(g)) {
            maxPoolStride2(input, first, last, g, output);
            return;
          }
          float[] row = row(g.inWidth());
          for (int p = first; p < last; p++) {
            maxPlane(
                input,
                p * g.inHeight() * g.inWidth(),
                g,
                row,
                output,
                p * g.outHeight() * g.outWidth());
          }
        });
  }

  /**
   * Pooling calls in this JVM that {@link #coldPooling} sends to the scalar loops: enough for a
   * network's first pass. Until C2 has compiled the vector pooling code, each of its vector
   * operations is a chain of calls that allocates its result, and AlexNet's 3 x 3 / 2 pooling of 64
   * x 55 x 55 took hundreds of milliseconds that way; the scalar loops give the same bits.
   */
  static final int COLD_POOLING_CALLS = 4;

  /**
   * Pooling calls so far, counted up to {@link #COLD_POOLING_CALLS}; racy, as any count will do.
   */
  private static int poolingCalls;

  /** Whether this pooling call is one of the JVM's first {@link #COLD_POOLING_CALLS}. */
  private static boolean coldPooling() {
    if (poolingCalls >= COLD_POOLING_CALLS) {
      return false;
    }
    poolingCalls++;
    return true;
  }

  /**
   * {@link #maxPoolStride2}'s results one float at a time: each window's {@code Math.max}, which
   * gives one result in any order (NaN wins, {@code +0} over {@code -0}), as the vector path's
   * maxima do.
   */
  private static void maxPoolScalar(
      float[] input, int first, int last, Pool2dGeometry g, float[] output) {
    int h = g.inHeight();
    int w = g.inWidth();
    int oh = g.outHeight();
    int ow = g.outWidth();
    int kh = g.kernelHeight();
    int kw = g.kernelWidth();
    int sh = g.strideHeight();
    for (int p = first; p < last; p++) {
      int out = p * oh * ow;
      for (int oy = 0; oy < oh; oy++) {
        int row = p * h * w + oy * sh * w;
        for (int ox = 0; ox < ow; ox++, out++) {
          int x = row + 2 * ox;
          float m = input[x];
          for (int y = 0; y < kh; y++) {
            for (int kx = 0; kx < kw; kx++) {
              m = Math.max(m, input[x + y * w + kx]);
            }
          }
          output[out] = m;
        }
      }
    }
  }

  /**
   * Whether {@link #maxPoolStride2} applies: windows 2 or 3 wide at horizontal stride 2, all inside
   * the input (no padding, no partial window in ceil mode), as in AlexNet's 3 x 3 / 2 and VGG's 2 x
   * 2 / 2 pooling. Needs at least 8 lanes, for {@link #evenMaxima}.
   */
  private static boolean isFlatStride2(Pool2dGeometry g) {
    return LANES >= 8
        && g.strideWidth() == 2
        && (g.kernelWidth() == 2 || g.kernelWidth() == 3)
        && g.padTop() == 0
        && g.padLeft() == 0
        && g.outHeight() > 0
        && g.outWidth() > 0
        && (g.outHeight() - 1) * g.strideHeight() + g.kernelHeight() <= g.inHeight()
        && 2 * (g.outWidth() - 1) + g.kernelWidth() <= g.inWidth();
  }

  /**
   * Max pooling of planes {@code [first, last)} for {@link #isFlatStride2}, in flat vector passes
   * over a block of planes at a time. First the maximum down each window's rows, one row of {@code
   * s} floats ({@code w} rounded up to even) per output row, back to back; then output {@code o} of
   * those rows, {@code s / 2} per row, is the maximum of floats {@code 2o .. 2o + kw - 1}, across
   * rows and planes alike ({@link #evenMaxima}); last, each row's first {@code ow} are copied out
   * (the rest are windows that run past the row). The row-by-row path ({@link #maxPlane}) takes its
   * strided maxima one float at a time, each a chain of dependent {@code Math.max}, which leaves
   * the vector units idle.
   */
  private static void maxPoolStride2(
      float[] input, int first, int last, Pool2dGeometry g, float[] output) {
    int h = g.inHeight();
    int w = g.inWidth();
    int oh = g.outHeight();
    int ow = g.outWidth();
    int kh = g.kernelHeight();
    int sh = g.strideHeight();
    int s = w + (w & 1);
    int half = s / 2;
    int xEnd = (w + LANES - 1) / LANES * LANES;
    int planesPerBlock = Math.max(1, SUM_BLOCK / (oh * s));
    int blockRows = Math.min(last - first, planesPerBlock) * oh;
    // Rows of maxima, then room for the whole vectors that run past them, then the outputs.
    int outBase = blockRows * s + 2 * LANES;
    float[] v = row(outBase + blockRows * half + LANES);
    for (int p0 = first; p0 < last; p0 += planesPerBlock) {
      int planes = Math.min(planesPerBlock, last - p0);
      for (int pp = 0; pp < planes; pp++) {
        int in = (p0 + pp) * h * w;
        for (int oy = 0; oy < oh; oy++) {
          int a = in + oy * sh * w;
          int d = (pp * oh + oy) * s;
          if (a + (kh - 1) * w + xEnd <= input.length) {
            // Whole vectors: any past the row read the next input row and write into the next
            // row of maxima, which its own pass then overwrites.
            for (int x = 0; x < w; x += LANES) {
              FloatVector m = FloatVector.fromArray(SPECIES, input, a + x);
              for (int y = 1; y < kh; y++) {
                m = m.max(FloatVector.fromArray(SPECIES, input, a + y * w + x));
              }
              m.intoArray(v, d + x);
            }
          } else {
            for (int x = 0; x < w; x++) {
              float m = input[a + x];
              for (int y = 1; y < kh; y++) {
                m = Math.max(m, input[a + y * w + x]);
              }
              v[d + x] = m;
            }
          }
        }
      }
      int rows = planes * oh;
      evenMaxima(v, rows * half, g.kernelWidth() == 3, outBase);
      int out = p0 * oh * ow;
      for (int r = 0; r < rows; r++) {
        System.arraycopy(v, outBase + r * half, output, out + r * ow, ow);
      }
    }
  }

  /**
   * {@code v[outOff + o] = max(v[2o], v[2o + 1])}, and {@code v[2o + 2]} if {@code three}, for
   * {@code o < count}, by the even lanes of whole vectors as in {@link #pairSums}; reads up to
   * {@code 2 LANES + 1} floats past {@code v[2 count]} and writes up to {@code LANES} past {@code
   * v[outOff + count]}.
   */
  private static void evenMaxima(float[] v, int count, boolean three, int outOff) {
    int step = LANES / 2;
    for (int o = 0; o < count; o += step) {
      FloatVector m =
          FloatVector.fromArray(SPECIES, v, 2 * o)
              .max(FloatVector.fromArray(SPECIES, v, 2 * o + 1));
      if (three) {
        m = m.max(FloatVector.fromArray(SPECIES, v, 2 * o + 2));
      }
      LongVector pairs = (LongVector) m.reinterpretShape(PAIRS, 0);
      IntVector evens = (IntVector) pairs.convertShape(VectorOperators.L2I, INTS, 0);
      ((FloatVector) evens.reinterpretShape(SPECIES, 0)).intoArray(v, outOff + o);
    }
  }

  /**
   * One plane in two passes: the maximum down each window's rows for every input column
   * (contiguous, so fully vectorised for any stride), then across each window's columns. The second
   * pass is vectorised along the output row when the stride is 1; otherwise its loads would be
   * strided gathers, and the scalar loop is as fast.
   */
  private static void maxPlane(
      float[] input, int in, Pool2dGeometry g, float[] row, float[] output, int out) {
    int h = g.inHeight();
    int w = g.inWidth();
    int ow = g.outWidth();
    for (int oy = 0; oy < g.outHeight(); oy++, out += ow) {
      int y0 = oy * g.strideHeight() - g.padTop();
      int y1 = Math.min(y0 + g.kernelHeight(), h);
      y0 = Math.max(y0, 0); // padded rows never win: they are simply not read
      if (y0 >= y1) {
        Arrays.fill(output, out, out + ow, Float.NEGATIVE_INFINITY);
        continue;
      }
      float[] src;
      int srcRow;
      if (y1 - y0 == 1) {
        src = input; // one row: read it in place instead of copying it
        srcRow = in + y0 * w;
      } else {
        System.arraycopy(input, in + y0 * w, row, 0, w);
        for (int y = y0 + 1; y < y1; y++) {
          maxInto(row, input, in + y * w, w);
        }
        src = row;
        srcRow = 0;
      }
      int from = 0;
      int to = 0;
      if (g.strideWidth() == 1) {
        // Outputs whose window lies wholly inside the row: ox - padLeft >= 0, ox - padLeft + kw <=
        // w.
        from = Math.min(g.padLeft(), ow);
        to = Math.max(from, Math.min(ow, w - g.kernelWidth() + g.padLeft() + 1));
        int kw = g.kernelWidth();
        int ox = from;
        for (int bound = from + SPECIES.loopBound(to - from); ox < bound; ox += LANES) {
          int x = srcRow + ox - g.padLeft();
          FloatVector m = FloatVector.fromArray(SPECIES, src, x);
          for (int kx = 1; kx < kw; kx++) {
            m = m.max(FloatVector.fromArray(SPECIES, src, x + kx)); // Math.max: NaN wins
          }
          m.intoArray(output, out + ox);
        }
        to = ox; // the scalar loop below finishes the tail
      } else {
        // Strided windows wholly inside the row: branch-free Math.max (NaN wins, as in the vector
        // path), no clamping; the data-dependent compare-and-branch below mispredicts on
        // activations.
        int sw = g.strideWidth();
        int kw = g.kernelWidth();
        int pl = g.padLeft();
        from = Math.min(ow, Math.floorDiv(pl + sw - 1, sw));
        to = Math.max(from, Math.min(ow, Math.floorDiv(w - kw + pl, sw) + 1));
        int x = srcRow + from * sw - pl;
        if (kw == 3) {
          for (int ox = from; ox < to; ox++, x += sw) {
            output[out + ox] = Math.max(Math.max(src[x], src[x + 1]), src[x + 2]);
          }
        } else {
          for (int ox = from; ox < to; ox++, x += sw) {
            float max = src[x];
            for (int kx = 1; kx < kw; kx++) {
              max = Math.max(max, src[x + kx]);
            }
            output[out + ox] = max;
          }
        }
      }
      for (int ox = 0; ox < ow; ox++) {
        if (ox == from && from < to) {
          ox = to - 1;
          continue;
        }
        int x0 = ox * g.strideWidth() - g.padLeft();
        int x1 = Math.min(x0 + g.kernelWidth(), w);
        x0 = Math.max(x0, 0);
        float max = Float.NEGATIVE_INFINITY;
        for (int x = x0; x < x1; x++) {
          float v = src[srcRow + x];
          if (v > max || v != v) { // PyTorch lets NaN win so it propagates
            max = v;
          }
        }
        output[out + ox] = max;
      }
    }
  }

  /** {@code row[x] = max(row[x], input[from + x])} for {@code x < w}; NaN wins either way. */
  private static void maxInto(float[] row, float[] input, int from, int w) {
    int x = 0;
    for (int bound = SPECIES.loopBound(w); x < bound; x += LANES) {
      FloatVector.fromArray(SPECIES, row, x)
          .max(FloatVector.fromArray(SPECIES, input, from + x))
          .intoArray(row, x);
    }
    for (; x < w; x++) {
      row[x] = Math.max(row[x], input[from + x]); // branch-free; NaN wins either way
    }
  }

  // (N, C, H, W) -> (N, C, OH, OW)
  @Override
  public void avgPool2d(
      float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {
    boolean plain2x2 = isPlain2x2(g);
    // The JVM's first calls take avgPlane2x2's scalar loop, which gives the same bits.
    boolean exact2x2 =
        plain2x2
            && g.inHeight() == 2 * g.outHeight()
            && g.inWidth() == 2 * g.outWidth()
            && !coldPooling();
    inPlanes(
        n * g.channels(),
        g.inHeight() * g.inWidth(),
        (first, last) -> {
          if (exact2x2) {
            avgPool2x2Exact(input, first, last, g.inWidth(), g.outHeight(), output);
            return;
          }
          if (plain2x2) {
            for (int p = first; p < last; p++) {
              avgPlane2x2(
                  input,
                  p * g.inHeight() * g.inWidth(),
                  g.inWidth(),
                  g.outHeight(),
                  g.outWidth(),
                  output,
                  p * g.outHeight() * g.outWidth());
            }
            return;
          }
          float[] row = row(g.inWidth());
          for (int p = first; p < last; p++) {
            avgPlane(
                input,
                p * g.inHeight() * g.inWidth(),
                g,
                countIncludePad,
                row,
                output,
                p * g.outHeight() * g.outWidth());
          }
        });
  }

  /** A 2 x 2 / 2 window without padding whose every window lies inside the input (LeNet's). */
  private static boolean isPlain2x2(Pool2dGeometry g) {
    return g.kernelHeight() == 2
        && g.kernelWidth() == 2
        && g.strideHeight() == 2
        && g.strideWidth() == 2
        && g.padTop() == 0
        && g.padLeft() == 0
        && 2 * g.outHeight() <= g.inHeight()
        && 2 * g.outWidth() <= g.inWidth();
  }

  /**
   * {@link #avgPlane} for {@link #isPlain2x2}: every divisor is 4, so one pass straight from the
   * input with the general path's sum order (column sums, then across), and no row buffer: on small
   * planes the general path's per-row copies and short vector adds cost more than the sums.
   */
  private static void avgPlane2x2(
      float[] input, int in, int w, int oh, int ow, float[] output, int out) {
    for (int oy = 0; oy < oh; oy++, out += ow) {
      int r0 = in + 2 * oy * w;
      int r1 = r0 + w;
      for (int ox = 0; ox < ow; ox++) {
        int x = 2 * ox;
        output[out + ox] =
            ((input[r0 + x] + input[r1 + x]) + (input[r0 + x + 1] + input[r1 + x + 1])) / 4f;
      }
    }
  }

  /**
   * {@link #avgPlane2x2} for planes {@code [first, last)} that the windows tile exactly ({@code H =
   * 2 OH, W = 2 OW}, LeNet's 28 x 28 and 10 x 10): then the vertical sums {@code v} of the input's
   * row pairs, laid out back to back, give output {@code o} as {@code (v[2o] + v[2o + 1]) / 4}
   * across rows and planes alike, so both passes are flat vector loops: sums of row pairs in whole
   * vectors, then {@link #pairSums}. Same additions in the same order as {@link #avgPlane2x2}, and
   * {@code * 0.25f} is exactly {@code / 4f}, so the bits are the same.
   */
  private static void avgPool2x2Exact(
      float[] input, int first, int last, int w, int oh, float[] output) {
    int ow = w / 2;
    int rowsPerPlane = oh;
    int planesPerBlock = Math.max(1, SUM_BLOCK / (rowsPerPlane * w));
    // + 2 LANES: the row loop's last vector may run past the row, and pairSums reads one more.
    float[] v = row(Math.min(last - first, planesPerBlock) * rowsPerPlane * w + 2 * LANES);
    for (int p0 = first; p0 < last; p0 += planesPerBlock) {
      int rows = Math.min(planesPerBlock, last - p0) * rowsPerPlane;
      int in = p0 * rowsPerPlane * 2 * w;
      // Whole vectors that may read past the row pair into the block's next rows and write past
      // the row of sums, which the next row's sums then overwrite; the last rows, whose vectors
      // would read past the block, are added one float at a time.
      int xEnd = (w + LANES - 1) / LANES * LANES;
      int vectorRows =
          Math.max(0, Math.min(rows, Math.floorDiv(2 * rows * w - w - xEnd, 2 * w) + 1));
      for (int i = 0; i < vectorRows; i++) {
        int a = in + 2 * i * w;
        int d = i * w;
        for (int x = 0; x < w; x += LANES) {
          FloatVector.fromArray(SPECIES, input, a + x)
              .add(FloatVector.fromArray(SPECIES, input, a + w + x))
              .intoArray(v, d + x);
        }
      }
      for (int i = vectorRows; i < rows; i++) {
        int a = in + 2 * i * w;
        int d = i * w;
        for (int x = 0; x < w; x++) {
          v[d + x] = input[a + x] + input[a + w + x];
        }
      }
      pairSums(v, rows * ow, output, p0 * rowsPerPlane * ow);
    }
  }

  /**
   * {@code out[outOff + o] = (v[2o] + v[2o + 1]) * 0.25f} for {@code o < count}, reading at most
   * {@code v[2 count]}. A vector of adjacent sums {@code v[j] + v[j + 1]} holds the wanted ones in
   * its even lanes; viewed as longs, narrowing each to its low int keeps exactly those
   * (little-endian lane order) in the low half of the result, and the high half (zeros) lands on
   * the next outputs, which the next step overwrites. C2 on JDK 17 compiles the views and the
   * narrowing to plain instructions (no allocation).
   */
  private static void pairSums(float[] v, int count, float[] output, int outOff) {
    int half = LANES / 2;
    int o = 0;
    if (LANES >= 8) {
      for (; o + LANES <= count; o += half) {
        FloatVector sums =
            FloatVector.fromArray(SPECIES, v, 2 * o)
                .add(FloatVector.fromArray(SPECIES, v, 2 * o + 1));
        LongVector pairs = (LongVector) sums.reinterpretShape(PAIRS, 0);
        IntVector evens = (IntVector) pairs.convertShape(VectorOperators.L2I, INTS, 0);
        ((FloatVector) evens.reinterpretShape(SPECIES, 0)).mul(0.25f).intoArray(output, outOff + o);
      }
    }
    for (; o < count; o++) {
      output[outOff + o] = (v[2 * o] + v[2 * o + 1]) * 0.25f;
    }
  }

  /** As {@link #maxPlane}: column sums down each window's rows, then sums across its columns. */
  private static void avgPlane(
      float[] input,
      int in,
      Pool2dGeometry g,
      boolean countIncludePad,
      float[] row,
      float[] output,
      int out) {
    int h = g.inHeight();
    int w = g.inWidth();
    int ow = g.outWidth();
    int kw = g.kernelWidth();
    for (int oy = 0; oy < g.outHeight(); oy++, out += ow) {
      // PyTorch's rule: the padded window (clipped to the padded input) sets count_include_pad's
      // divisor before the window is clipped to the input itself.
      int y0 = oy * g.strideHeight() - g.padTop();
      int y1 = Math.min(y0 + g.kernelHeight(), h + g.padBottom());
      int padRows = y1 - y0;
      y0 = Math.max(y0, 0);
      y1 = Math.min(y1, h);
      if (y0 >= y1) {
        Arrays.fill(output, out, out + ow, 0f);
        continue;
      }
      System.arraycopy(input, in + y0 * w, row, 0, w);
      for (int y = y0 + 1; y < y1; y++) {
        addInto(row, input, in + y * w, w);
      }
      int rows = countIncludePad ? padRows : y1 - y0;
      int from = 0;
      int to = 0;
      if (g.strideWidth() == 1) {
        // Inside the row every window has kw columns, padded or not, so one divisor serves all.
        from = Math.min(g.padLeft(), ow);
        to = Math.max(from, Math.min(ow, w - kw + g.padLeft() + 1));
        float divisor = rows * kw;
        int ox = from;
        for (int bound = from + SPECIES.loopBound(to - from); ox < bound; ox += LANES) {
          int x = ox - g.padLeft();
          FloatVector s = FloatVector.fromArray(SPECIES, row, x);
          for (int kx = 1; kx < kw; kx++) {
            s = s.add(FloatVector.fromArray(SPECIES, row, x + kx));
          }
          s.div(divisor).intoArray(output, out + ox);
        }
        to = ox;
      } else if (g.strideWidth() == 2 && kw == 2) {
        // LeNet's 2 x 2 / 2 pooling: each window inside the row is two adjacent column sums, so
        // one float add and divide per output instead of the general loop's double sum. PyTorch
        // sums in float as well.
        from = Math.min((g.padLeft() + 1) / 2, ow);
        to = Math.max(from, Math.min(ow, Math.floorDiv(w - 2 + g.padLeft(), 2) + 1));
        float divisor = rows * 2;
        for (int ox = from; ox < to; ox++) {
          int x = 2 * ox - g.padLeft();
          output[out + ox] = (row[x] + row[x + 1]) / divisor;
        }
      }
      for (int ox = 0; ox < ow; ox++) {
        if (ox == from && from < to) {
          ox = to - 1;
          continue;
        }
        int x0 = ox * g.strideWidth() - g.padLeft();
        int x1 = Math.min(x0 + kw, w + g.padRight());
        int padCols = x1 - x0;
        x0 = Math.max(x0, 0);
        x1 = Math.min(x1, w);
        if (x0 >= x1) {
          output[out + ox] = 0f;
          continue;
        }
        double sum = 0;
        for (int x = x0; x < x1; x++) {
          sum += row[x];
        }
        int divisor = rows * (countIncludePad ? padCols : x1 - x0);
        output[out + ox] = (float) (sum / divisor);
      }
    }
  }

  /** {@code row[x] += input[from + x]} for {@code x < w}. */
  private static void addInto(float[] row, float[] input, int from, int w) {
    int x = 0;
    for (int bound = SPECIES.loopBound(w); x < bound; x += LANES) {
      FloatVector.fromArray(SPECIES, row, x)
          .add(FloatVector.fromArray(SPECIES, input, from + x))
          .intoArray(row, x);
    }
    for (; x < w; x++) {
      row[x] += input[from + x];
    }
  }

  // ---- splitting work over threads ----

  /** This thread's row buffer, at least {@code w} floats. */
  private static float[] row(int w) {
    float[] row = ROW.get();
    if (row.length < w) {
      row = new float[Math.max(w, 2 * row.length)];
      ROW.set(row);
    }
    return row;
  }

  /**
   * Runs {@code body} over {@code [0, length)} in one chunk per thread, or inline when the work is
   * small; chunks are whole multiples of the vector length so that only the last has a tail.
   */
  private static void inChunks(int length, Parallel.Range body) {
    int chunks = Math.min(Parallel.threads(), length / PARALLEL_GRAIN);
    if (chunks <= 1) {
      body.run(0, length);
      return;
    }
    int perChunk = ((length + chunks - 1) / chunks + LANES - 1) / LANES * LANES;
    Parallel.forEach(
        chunks,
        c -> {
          int from = c * perChunk;
          int to = Math.min(length, from + perChunk);
          if (from < to) {
            body.run(from, to);
          }
        });
  }

  /**
   * Runs {@code body} over the planes {@code [0, planes)} of {@code planeSize} floats each, split
   * into one run of whole planes per thread when there is enough work to pay for the hand-off.
   */
  private static void inPlanes(int planes, int planeSize, Parallel.Range body) {
    long work = (long) planes * planeSize;
    int chunks = (int) Math.min(Math.min(Parallel.threads(), planes), work / PARALLEL_GRAIN);
    if (chunks <= 1) {
      body.run(0, planes);
      return;
    }
    int perChunk = (planes + chunks - 1) / chunks;
    Parallel.forEach(
        chunks,
        c -> {
          int from = c * perChunk;
          int to = Math.min(planes, from + perChunk);
          if (from < to) {
            body.run(from, to);
          }
        });
  }
}
