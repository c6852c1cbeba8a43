package dev.stride.runtime.kernel;

/**
 * Textbook formulations of the kernels, written independently of {@link ScalarKernels}: explicit
 * padded inputs, one loop per index, double accumulation. Slow and obviously right, they are the
 * oracle the real kernels are compared against.
 */
public final class NaiveReference {
  private NaiveReference() {}

  /** Conv2d via an explicitly zero-padded input and the seven-loop definition. */
  public static float[] conv2d(
      float[] input,
      int n,
      int c,
      int h,
      int w,
      float[] weight,
      float[] bias,
      int oc,
      int kh,
      int kw,
      int sh,
      int sw,
      int top,
      int bottom,
      int left,
      int right,
      int dh,
      int dw,
      int groups) {
    int ph = h + top + bottom;
    int pw = w + left + right;
    int oh = (ph - dh * (kh - 1) - 1) / sh + 1;
    int ow = (pw - dw * (kw - 1) - 1) / sw + 1;
    float[] padded = new float[n * c * ph * pw];
    for (int s = 0; s < n; s++) {
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            padded[((s * c + ch) * ph + y + top) * pw + x + left] =
                input[((s * c + ch) * h + y) * w + x];
          }
        }
      }
    }
    int cg = c / groups;
    int ocg = oc / groups;
    float[] out = new float[n * oc * oh * ow];
    for (int s = 0; s < n; s++) {
      for (int o = 0; o < oc; o++) {
        int g = o / ocg;
        for (int y = 0; y < oh; y++) {
          for (int x = 0; x < ow; x++) {
            double sum = bias == null ? 0 : bias[o];
            for (int ci = 0; ci < cg; ci++) {
              for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                  float v =
                      padded[
                          ((s * c + g * cg + ci) * ph + y * sh + ky * dh) * pw + x * sw + kx * dw];
                  sum += (double) v * weight[((o * cg + ci) * kh + ky) * kw + kx];
                }
              }
            }
            out[((s * oc + o) * oh + y) * ow + x] = (float) sum;
          }
        }
      }
    }
    return out;
  }

  /**
   * Max pooling over an input padded with -inf on every side, generously enough for ceil mode's
   * last window; cells beyond the input therefore never win.
   */
  public static float[] maxPool2d(float[] input, int planes, int h, int w, Pool2dGeometry g) {
    int extra =
        Math.max(g.kernelHeight(), g.kernelWidth()) * 2 + g.strideHeight() + g.strideWidth();
    int ph = h + g.padTop() + extra;
    int pw = w + g.padLeft() + extra;
    float[] out = new float[planes * g.outHeight() * g.outWidth()];
    for (int p = 0; p < planes; p++) {
      float[] padded = new float[ph * pw];
      java.util.Arrays.fill(padded, Float.NEGATIVE_INFINITY);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          padded[(y + g.padTop()) * pw + x + g.padLeft()] = input[(p * h + y) * w + x];
        }
      }
      for (int oy = 0; oy < g.outHeight(); oy++) {
        for (int ox = 0; ox < g.outWidth(); ox++) {
          float max = Float.NEGATIVE_INFINITY;
          for (int ky = 0; ky < g.kernelHeight(); ky++) {
            for (int kx = 0; kx < g.kernelWidth(); kx++) {
              max =
                  Math.max(
                      max, padded[(oy * g.strideHeight() + ky) * pw + ox * g.strideWidth() + kx]);
            }
          }
          out[(p * g.outHeight() + oy) * g.outWidth() + ox] = max;
        }
      }
    }
    return out;
  }

  /**
   * Average pooling by counting, cell by cell of each window, which cells lie in the padded input
   * (the count_include_pad divisor) and which in the input itself (the other divisor).
   */
  public static float[] avgPool2d(
      float[] input, int planes, int h, int w, Pool2dGeometry g, boolean countIncludePad) {
    float[] out = new float[planes * g.outHeight() * g.outWidth()];
    for (int p = 0; p < planes; p++) {
      for (int oy = 0; oy < g.outHeight(); oy++) {
        for (int ox = 0; ox < g.outWidth(); ox++) {
          double sum = 0;
          int inPadded = 0;
          int inInput = 0;
          for (int ky = 0; ky < g.kernelHeight(); ky++) {
            for (int kx = 0; kx < g.kernelWidth(); kx++) {
              int y = oy * g.strideHeight() - g.padTop() + ky;
              int x = ox * g.strideWidth() - g.padLeft() + kx;
              boolean paddedRow = y >= -g.padTop() && y < h + g.padBottom();
              boolean paddedCol = x >= -g.padLeft() && x < w + g.padRight();
              if (paddedRow && paddedCol) {
                inPadded++;
              }
              if (y >= 0 && y < h && x >= 0 && x < w) {
                inInput++;
                sum += input[(p * h + y) * w + x];
              }
            }
          }
          int divisor = countIncludePad ? inPadded : inInput;
          out[(p * g.outHeight() + oy) * g.outWidth() + ox] =
              inInput == 0 ? 0f : (float) (sum / divisor);
        }
      }
    }
    return out;
  }

  /** {@code out[s, o] = bias[o] + sum_f in[s, f] * weight[o, f]}. */
  public static float[] linear(float[] in, int n, int f, float[] weight, float[] bias, int of) {
    float[] out = new float[n * of];
    for (int s = 0; s < n; s++) {
      for (int o = 0; o < of; o++) {
        double sum = 0;
        for (int i = 0; i < f; i++) {
          sum += (double) in[s * f + i] * weight[o * f + i];
        }
        out[s * of + o] = (float) (sum + (bias == null ? 0 : bias[o]));
      }
    }
    return out;
  }

  /** The textbook batch norm, per channel of {@code (N, C, S)}. */
  public static float[] batchNorm(
      float[] x,
      int n,
      int c,
      int spatial,
      float[] mean,
      float[] var,
      float[] weight,
      float[] bias,
      double eps) {
    float[] out = new float[n * c * spatial];
    for (int s = 0; s < n; s++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < spatial; i++) {
          int at = (s * c + ch) * spatial + i;
          out[at] = (float) ((x[at] - mean[ch]) / Math.sqrt(var[ch] + eps) * weight[ch] + bias[ch]);
        }
      }
    }
    return out;
  }

  /** PyTorch's output size for pooling, floor or ceil mode. */
  public static int poolOut(int n, int k, int s, int before, int after, boolean ceil) {
    int span = n + before + after - k;
    int out = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (out - 1) * s >= n + before) {
      out--;
    }
    return out;
  }
}
