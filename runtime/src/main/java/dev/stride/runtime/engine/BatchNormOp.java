package dev.stride.runtime.engine;

import dev.stride.graph.BatchNorm;
import dev.stride.graph.Shape;
import dev.stride.runtime.kernel.Kernels;

/**
 * Eval-mode batch norm per channel: folded into the convolution or linear layer before it when it
 * is that layer's only reader, else run in place.
 */
final class BatchNormOp extends Op {
  private final BatchNorm kind;

  BatchNormOp(BatchNorm kind) {
    this.kind = kind;
  }

  @Override
  void plan(Planner p, int i) {
    Kernels kernels = p.kernels(); // the steps keep the kernels, not the planner
    Shape in = p.inShape(i);
    int channels = in.channels();
    int spatial = in.height() * in.width();
    String path = p.node(i).path();
    float[] w = p.weight(path + ".weight");
    float[] b = p.weight(path + ".bias");
    float[] mean = p.weight(path + ".running_mean");
    float[] var = p.weight(path + ".running_var");
    double eps = kind.eps();
    p.inPlace(i, (x, n) -> kernels.batchNorm(x, n, channels, spatial, mean, var, w, b, eps));
  }

  /**
   * Weights and bias with this eval-mode BatchNorm folded in, per output channel {@code c}: {@code
   * s = gamma / sqrt(var + eps)}, {@code w' = w * s}, {@code b' = (b - mean) * s + beta} (b = 0
   * without a bias), in double. New arrays; the loaded tensors are untouched.
   */
  @Override
  float[][] fold(Planner p, int i, float[] weight, float[] bias) {
    String bn = p.node(i).path();
    double eps = kind.eps();
    float[] gamma = p.weight(bn + ".weight");
    float[] beta = p.weight(bn + ".bias");
    float[] mean = p.weight(bn + ".running_mean");
    float[] var = p.weight(bn + ".running_var");
    int channels = gamma.length;
    int perChannel = weight.length / channels; // (OC, C/g, KH, KW) or (OF, F): rows per channel
    float[] w = new float[weight.length];
    float[] b = new float[channels];
    for (int c = 0; c < channels; c++) {
      double scale = gamma[c] / Math.sqrt(var[c] + eps);
      for (int k = c * perChannel, end = k + perChannel; k < end; k++) {
        w[k] = (float) (weight[k] * scale);
      }
      double b0 = bias == null ? 0.0 : bias[c];
      b[c] = (float) ((b0 - mean[c]) * scale + beta[c]);
    }
    return new float[][] {w, b};
  }
}
