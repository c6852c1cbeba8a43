package dev.stride.runtime.kernel;

import java.util.Arrays;

/**
 * Plain-Java kernels: the reference every other implementation is tested against, and the fallback
 * when the Vector API is not available.
 *
 * <p>Precision: convolution accumulates in float32 into the output, as PyTorch's CPU GEMM and
 * oneDNN paths do; the other reductions (linear dot products, pooling and softmax sums, batch-norm
 * scale) use double, which costs nothing measurable in scalar code and only moves results closer to
 * the exact value. Either way the results stay well within the contract's 1e-4 of PyTorch.
 *
 * <p>Loops are ordered so the innermost one walks a contiguous output row with the index arithmetic
 * hoisted out; that keeps AlexNet-sized passes to seconds without any blocking or packing.
 */
public final class ScalarKernels implements Kernels {
  /** The stateless instance. */
  public static final ScalarKernels INSTANCE = new ScalarKernels();

  private ScalarKernels() {}

  @Override
  public String name() {
    return "scalar";
  }

  // input (N, C, H, W), weight (OC, C/g, KH, KW), bias (OC) -> (N, OC, OH, OW)
  @Override
  public void conv2d(
      float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {
    final int h = g.inHeight();
    final int w = g.inWidth();
    final int oh = g.outHeight();
    final int ow = g.outWidth();
    final int kh = g.kernelHeight();
    final int kw = g.kernelWidth();
    final int sh = g.strideHeight();
    final int sw = g.strideWidth();
    final int channelsPerGroup = g.inChannels() / g.groups();
    final int outChannelsPerGroup = g.outChannels() / g.groups();
    final int inPlane = h * w;
    final int outPlane = oh * ow;

    // The output rows (per ky) and columns (per kx) whose tap lands inside the input: computing the
    // ranges once removes every bounds test from the inner loop, and padding contributes nothing.
    int[] oyFrom = new int[kh];
    int[] oyTo = new int[kh];
    for (int ky = 0; ky < kh; ky++) {
      int offset = ky * g.dilationHeight() - g.padTop();
      oyFrom[ky] = firstInside(offset, sh);
      oyTo[ky] = Math.max(oyFrom[ky], lastInsideExclusive(offset, sh, h, oh));
    }
    int[] oxFrom = new int[kw];
    int[] oxTo = new int[kw];
    for (int kx = 0; kx < kw; kx++) {
      int offset = kx * g.dilationWidth() - g.padLeft();
      oxFrom[kx] = firstInside(offset, sw);
      oxTo[kx] = Math.max(oxFrom[kx], lastInsideExclusive(offset, sw, w, ow));
    }

    for (int s = 0; s < n; s++) {
      int inSample = s * g.inputSize();
      int outSample = s * g.outputSize();
      for (int oc = 0; oc < g.outChannels(); oc++) {
        int out = outSample + oc * outPlane;
        Arrays.fill(output, out, out + outPlane, bias == null ? 0f : bias[oc]);
        int firstChannel = (oc / outChannelsPerGroup) * channelsPerGroup;
        for (int ci = 0; ci < channelsPerGroup; ci++) {
          int in = inSample + (firstChannel + ci) * inPlane;
          int wBase = (oc * channelsPerGroup + ci) * kh * kw;
          for (int ky = 0; ky < kh; ky++) {
            int yOffset = ky * g.dilationHeight() - g.padTop();
            for (int kx = 0; kx < kw; kx++) {
              float wv = weight[wBase + ky * kw + kx];
              int xOffset = kx * g.dilationWidth() - g.padLeft();
              int from = oxFrom[kx];
              int to = oxTo[kx];
              for (int oy = oyFrom[ky]; oy < oyTo[ky]; oy++) {
                int inRow = in + (oy * sh + yOffset) * w + xOffset;
                int outRow = out + oy * ow;
                if (sw == 1) {
                  // Unit stride is the common case and lets C2 vectorise this loop.
                  for (int ox = from; ox < to; ox++) {
                    output[outRow + ox] += wv * input[inRow + ox];
                  }
                } else {
                  for (int ox = from; ox < to; ox++) {
                    output[outRow + ox] += wv * input[inRow + ox * sw];
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  /** The first output index {@code o >= 0} with {@code o * stride + offset >= 0}. */
  private static int firstInside(int offset, int stride) {
    return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  }

  /** One past the last output index {@code o < outSize} with {@code o * stride + offset < size}. */
  private static int lastInsideExclusive(int offset, int stride, int size, int outSize) {
    int last = size - 1 - offset;
    return last < 0 ? 0 : Math.min(outSize, last / stride + 1);
  }

  // (N, C, H, W) -> (N, C, OH, OW)
  @Override
  public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {
    int h = g.inHeight();
    int w = g.inWidth();
    int planes = n * g.channels();
    for (int p = 0; p < planes; p++) {
      int in = p * h * w;
      int out = p * g.outHeight() * g.outWidth();
      for (int oy = 0; oy < g.outHeight(); oy++) {
        int y0 = oy * g.strideHeight() - g.padTop();
        int y1 = Math.min(y0 + g.kernelHeight(), h);
        y0 = Math.max(y0, 0);
        for (int ox = 0; ox < g.outWidth(); ox++) {
          int x0 = ox * g.strideWidth() - g.padLeft();
          int x1 = Math.min(x0 + g.kernelWidth(), w);
          x0 = Math.max(x0, 0);
          float max = Float.NEGATIVE_INFINITY;
          for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
              float v = input[in + y * w + x];
              if (v > max || Float.isNaN(v)) { // PyTorch lets NaN win so it propagates
                max = v;
              }
            }
          }
          output[out++] = max;
        }
      }
    }
  }

  // (N, C, H, W) -> (N, C, OH, OW)
  @Override
  public void avgPool2d(
      float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {
    int h = g.inHeight();
    int w = g.inWidth();
    int planes = n * g.channels();
    for (int p = 0; p < planes; p++) {
      int in = p * h * w;
      int out = p * g.outHeight() * g.outWidth();
      for (int oy = 0; oy < g.outHeight(); oy++) {
        // PyTorch's rule: the padded window (clipped to the padded input) sets count_include_pad's
        // divisor before the window is clipped to the input itself.
        int y0 = oy * g.strideHeight() - g.padTop();
        int y1 = Math.min(y0 + g.kernelHeight(), h + g.padBottom());
        int padRows = y1 - y0;
        y0 = Math.max(y0, 0);
        y1 = Math.min(y1, h);
        for (int ox = 0; ox < g.outWidth(); ox++) {
          int x0 = ox * g.strideWidth() - g.padLeft();
          int x1 = Math.min(x0 + g.kernelWidth(), w + g.padRight());
          int padCols = x1 - x0;
          x0 = Math.max(x0, 0);
          x1 = Math.min(x1, w);
          if (y0 >= y1 || x0 >= x1) {
            output[out++] = 0f;
            continue;
          }
          double sum = 0;
          for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
              sum += input[in + y * w + x];
            }
          }
          int divisor = countIncludePad ? padRows * padCols : (y1 - y0) * (x1 - x0);
          output[out++] = (float) (sum / divisor);
        }
      }
    }
  }

  // (N, C, S) -> (N, C)
  @Override
  public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {
    int planes = n * channels;
    for (int p = 0; p < planes; p++) {
      double sum = 0;
      for (int i = p * spatial, end = i + spatial; i < end; i++) {
        sum += input[i];
      }
      output[p] = (float) (sum / spatial);
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
    for (int c = 0; c < channels; c++) {
      // Folded into x * scale + shift per channel, as PyTorch's CPU inference path does.
      double scale = weight[c] / Math.sqrt(var[c] + eps);
      double shift = bias[c] - mean[c] * scale;
      for (int s = 0; s < n; s++) {
        for (int i = (s * channels + c) * spatial, end = i + spatial; i < end; i++) {
          x[i] = (float) (x[i] * scale + shift);
        }
      }
    }
  }

  // x (L) -> x (L)
  @Override
  public void relu(float[] x, int length) {
    for (int i = 0; i < length; i++) {
      if (x[i] < 0f) { // written this way round so NaN stays NaN, as torch.relu does
        x[i] = 0f;
      }
    }
  }

  // x (L) -> x (L)
  @Override
  public void relu6(float[] x, int length) {
    for (int i = 0; i < length; i++) {
      if (x[i] < 0f) { // compares, not min/max, so NaN stays NaN as in relu
        x[i] = 0f;
      } else if (x[i] > 6f) {
        x[i] = 6f;
      }
    }
  }

  // a (L), b (L) -> out (L)
  @Override
  public void add(float[] a, float[] b, float[] out, int length, Activation act) {
    for (int i = 0; i < length; i++) {
      out[i] = act.apply(a[i] + b[i]);
    }
  }

  // src (N, C, S) -> dst (N, DC, S) at channels [offset, offset + C)
  @Override
  public void copyChannels(
      float[] src, int n, int channels, int spatial, float[] dst, int dstOffset, int dstChannels) {
    Slices.check(channels, dstOffset, dstChannels);
    int block = channels * spatial;
    for (int s = 0; s < n; s++) {
      System.arraycopy(src, s * block, dst, (s * dstChannels + dstOffset) * spatial, block);
    }
  }

  // x (L) -> x (L)
  @Override
  public void sigmoid(float[] x, int length) {
    for (int i = 0; i < length; i++) {
      x[i] = (float) (1.0 / (1.0 + Math.exp(-(double) x[i])));
    }
  }

  // x (L) -> x (L)
  @Override
  public void tanh(float[] x, int length) {
    for (int i = 0; i < length; i++) {
      x[i] = (float) Math.tanh(x[i]);
    }
  }

  // x (N, F) -> x (N, F)
  @Override
  public void softmax(float[] x, int n, int features) {
    for (int s = 0; s < n; s++) {
      int from = s * features;
      int to = from + features;
      // Subtracting the row maximum keeps exp() from overflowing; it cancels in the quotient.
      float max = Float.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        max = Math.max(max, x[i]);
      }
      double sum = 0;
      for (int i = from; i < to; i++) {
        sum += Math.exp((double) x[i] - max);
      }
      for (int i = from; i < to; i++) {
        x[i] = (float) (Math.exp((double) x[i] - max) / sum);
      }
    }
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
    // Output feature outermost so each weight row is read once per batch, not once per sample.
    for (int o = 0; o < outFeatures; o++) {
      int row = o * inFeatures;
      double b = bias == null ? 0.0 : bias[o];
      for (int s = 0; s < n; s++) {
        int in = s * inFeatures;
        double sum = b;
        for (int f = 0; f < inFeatures; f++) {
          sum += (double) input[in + f] * weight[row + f];
        }
        output[s * outFeatures + o] = (float) sum;
      }
    }
  }
}
