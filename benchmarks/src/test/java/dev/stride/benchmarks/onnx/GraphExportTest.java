package dev.stride.benchmarks.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.stride.graph.Add;
import dev.stride.graph.AvgPool;
import dev.stride.graph.BatchNorm;
import dev.stride.graph.Concat;
import dev.stride.graph.Conv2d;
import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Linear;
import dev.stride.graph.MaxPool;
import dev.stride.graph.Node;
import dev.stride.graph.Param;
import dev.stride.graph.ReLU;
import dev.stride.graph.ReLU6;
import dev.stride.graph.Shape;
import dev.stride.runtime.Tensor;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A graph with residual and branching nodes, exported to ONNX, gives in ONNX Runtime what a plain
 * loop-by-loop evaluation of the same graph gives (written here, independent of Stride's kernels).
 */
class GraphExportTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  /**
   * Depthwise and grouped convolutions, BatchNorm, ReLU6 (values past 6 and below 0 reach it), a
   * max-pooling shortcut into an Add, a three-way Concat with an average pooling, dropout
   * (skipped), global pooling and a linear layer.
   */
  static final String[] ROWS = {
    "stem    Conv2d 8 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias               -> [8, 9, 9]",
    "bn      BatchNorm eps=1.0E-5                                          -> [8, 9, 9]",
    "act     ReLU6                                                         -> [8, 9, 9]",
    "dw      Conv2d 8 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=8 nobias             -> [8, 5, 5]",
    "pw      Conv2d 8 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 nobias             -> [8, 5, 5]",
    "short   MaxPool k=3x3 s=2x2 p=1,1,1,1                 <- act          -> [8, 5, 5]",
    "add     Add                                           <- pw, short    -> [8, 5, 5]",
    "relu    ReLU                                                          -> [8, 5, 5]",
    "branch  Conv2d 4 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=2 bias <- relu         -> [4, 5, 5]",
    "avg     AvgPool k=3x3 s=1x1 p=1,1,1,1                 <- relu         -> [8, 5, 5]",
    "cat     Concat                                <- relu, branch, avg    -> [20, 5, 5]",
    "gap     GlobalAvgPool                                                 -> [20, 1, 1]",
    "flatten Flatten                                                       -> [20]",
    "drop    Dropout p=0.5                                                 -> [20]",
    "fc      Linear 6 bias                                                 -> [6]",
  };

  @Test
  void residualAndBranchingGraphRunsAsThePlainEvaluation() throws Exception {
    Graph graph = Graph.parse("Blocks", new int[] {4, 9, 9}, ROWS);
    Map<String, Tensor> tensors = randomTensors(graph, 3);
    int batch = 2;
    SplittableRandom random = new SplittableRandom(9);
    float[] input = new float[batch * 4 * 9 * 9];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble(-3, 3);
    }
    float[] expected = new float[0];
    for (int n = 0; n < batch; n++) {
      float[] sample = new float[4 * 9 * 9];
      System.arraycopy(input, n * sample.length, sample, 0, sample.length);
      float[] out = evaluate(graph, tensors, sample);
      float[] grown = new float[expected.length + out.length];
      System.arraycopy(expected, 0, grown, 0, expected.length);
      System.arraycopy(out, 0, grown, expected.length, out.length);
      expected = grown;
    }

    float[] actual;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = ENV.createSession(OnnxExport.export(graph, tensors), options);
        OnnxTensor in =
            OnnxTensor.createTensor(ENV, FloatBuffer.wrap(input), new long[] {batch, 4, 9, 9});
        OrtSession.Result result = session.run(Map.of("input", in))) {
      OnnxTensor out = (OnnxTensor) result.get("output").orElseThrow();
      assertArrayEquals(new long[] {batch, 6}, out.getInfo().getShape(), "output shape");
      FloatBuffer buffer = out.getFloatBuffer();
      actual = new float[buffer.remaining()];
      buffer.get(actual);
    }
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    assertTrue(scale > 0, "output is all zeros");
    assertEquals(expected.length, actual.length, "output length");
    for (int i = 0; i < expected.length; i++) {
      assertTrue(
          Math.abs(expected[i] - actual[i]) <= 1e-4 * scale,
          "output " + i + ": plain " + expected[i] + ", ORT " + actual[i]);
    }
  }

  @Test
  void missingWeightIsNamed() {
    Graph graph = Graph.parse("Blocks", new int[] {4, 9, 9}, ROWS);
    Map<String, Tensor> tensors = randomTensors(graph, 3);
    tensors.remove("branch.bias");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.export(graph, tensors));
    assertTrue(e.getMessage().contains("branch.bias"), e.getMessage());
  }

  /** Every parameter the graph declares, uniform in ±1/sqrt(fan-in); BatchNorm's variance > 0. */
  static Map<String, Tensor> randomTensors(Graph graph, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      List<Param> params = node.kind().parameters(graph.inputShapes(i));
      int fanIn = 1;
      for (Param p : params) {
        int[] dims = p.shape().dims();
        if (p.suffix().equals("weight") && dims.length > 1) {
          fanIn = (int) (p.shape().size() / dims[0]);
        }
      }
      for (Param p : params) {
        float[] data = new float[(int) p.shape().size()];
        boolean bn = node.kind() instanceof BatchNorm;
        for (int j = 0; j < data.length; j++) {
          data[j] =
              bn && (p.suffix().equals("running_var") || p.suffix().equals("weight"))
                  ? (float) random.nextDouble(0.5, 1.5)
                  : (float) random.nextDouble(-1, 1) * (bn ? 0.5f : (float) (2 / Math.sqrt(fanIn)));
        }
        tensors.put(node.path() + "." + p.suffix(), new Tensor(p.shape().dims(), data));
      }
    }
    return tensors;
  }

  /** One sample through the graph, one loop nest per node kind (floor-mode pooling only). */
  static float[] evaluate(Graph graph, Map<String, Tensor> w, float[] input) {
    List<float[]> values = new ArrayList<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      Node node = graph.nodes().get(i);
      List<float[]> in = new ArrayList<>();
      for (int j : node.inputs()) {
        in.add(j == Graph.INPUT ? input : values.get(j));
      }
      Shape s = graph.inputShapes(i).get(0);
      Shape o = node.out();
      LayerKind k = node.kind();
      String p = node.path();
      float[] x = in.get(0);
      float[] y;
      if (k instanceof Conv2d c) {
        y =
            conv(
                c,
                x,
                s,
                o,
                w.get(p + ".weight").data(),
                c.bias() ? w.get(p + ".bias").data() : null);
      } else if (k instanceof BatchNorm b) {
        y = new float[x.length];
        int per = x.length / s.dim(0);
        for (int ch = 0; ch < s.dim(0); ch++) {
          double scale =
              w.get(p + ".weight").data()[ch]
                  / Math.sqrt(w.get(p + ".running_var").data()[ch] + b.eps());
          for (int j = 0; j < per; j++) {
            y[ch * per + j] =
                (float)
                    ((x[ch * per + j] - w.get(p + ".running_mean").data()[ch]) * scale
                        + w.get(p + ".bias").data()[ch]);
          }
        }
      } else if (k instanceof ReLU) {
        y = x.clone();
        for (int j = 0; j < y.length; j++) {
          y[j] = Math.max(y[j], 0);
        }
      } else if (k instanceof ReLU6) {
        y = x.clone();
        for (int j = 0; j < y.length; j++) {
          y[j] = Math.min(Math.max(y[j], 0), 6);
        }
      } else if (k instanceof MaxPool m) {
        y =
            pool(
                x,
                s,
                o,
                m.kernelH(),
                m.kernelW(),
                m.strideH(),
                m.strideW(),
                m.padTop(),
                m.padLeft(),
                true);
      } else if (k instanceof AvgPool a) {
        y =
            pool(
                x,
                s,
                o,
                a.kernelH(),
                a.kernelW(),
                a.strideH(),
                a.strideW(),
                a.padTop(),
                a.padLeft(),
                false);
      } else if (k instanceof Add) {
        y = x.clone();
        for (int j = 0; j < y.length; j++) {
          y[j] += in.get(1)[j];
        }
      } else if (k instanceof Concat) {
        int total = 0;
        for (float[] v : in) {
          total += v.length;
        }
        y = new float[total];
        int at = 0;
        for (float[] v : in) { // (C, H, W): whole channels one after another
          System.arraycopy(v, 0, y, at, v.length);
          at += v.length;
        }
      } else if (k instanceof Linear l) {
        float[] wt = w.get(p + ".weight").data();
        y = new float[l.outFeatures()];
        for (int f = 0; f < y.length; f++) {
          double sum = l.bias() ? w.get(p + ".bias").data()[f] : 0;
          for (int j = 0; j < x.length; j++) {
            sum += (double) wt[f * x.length + j] * x[j];
          }
          y[f] = (float) sum;
        }
      } else if (k.type().equals("GlobalAvgPool")) {
        int per = x.length / s.dim(0);
        y = new float[s.dim(0)];
        for (int ch = 0; ch < y.length; ch++) {
          double sum = 0;
          for (int j = 0; j < per; j++) {
            sum += x[ch * per + j];
          }
          y[ch] = (float) (sum / per);
        }
      } else if (k.type().equals("Flatten") || k.type().equals("Dropout")) {
        y = x;
      } else {
        throw new IllegalArgumentException("no plain evaluation of " + k.type());
      }
      values.add(y);
    }
    return values.get(values.size() - 1);
  }

  private static float[] conv(Conv2d c, float[] x, Shape s, Shape o, float[] wt, float[] bias) {
    int groups = c.groups();
    int inPer = s.dim(0) / groups;
    int outPer = o.dim(0) / groups;
    float[] y = new float[(int) o.size()];
    for (int oc = 0; oc < o.dim(0); oc++) {
      int g = oc / outPer;
      for (int oy = 0; oy < o.height(); oy++) {
        for (int ox = 0; ox < o.width(); ox++) {
          double sum = bias == null ? 0 : bias[oc];
          for (int ic = 0; ic < inPer; ic++) {
            for (int ky = 0; ky < c.kernelH(); ky++) {
              int iy = oy * c.strideH() - c.padTop() + ky * c.dilationH();
              for (int kx = 0; kx < c.kernelW(); kx++) {
                int ix = ox * c.strideW() - c.padLeft() + kx * c.dilationW();
                if (iy >= 0 && iy < s.height() && ix >= 0 && ix < s.width()) {
                  int channel = g * inPer + ic;
                  sum +=
                      (double) wt[((oc * inPer + ic) * c.kernelH() + ky) * c.kernelW() + kx]
                          * x[(channel * s.height() + iy) * s.width() + ix];
                }
              }
            }
          }
          y[(oc * o.height() + oy) * o.width() + ox] = (float) sum;
        }
      }
    }
    return y;
  }

  /** Max (padding never wins) or average counting padded cells, windows inside the padding. */
  private static float[] pool(
      float[] x, Shape s, Shape o, int kh, int kw, int sh, int sw, int pt, int pl, boolean max) {
    float[] y = new float[(int) o.size()];
    for (int ch = 0; ch < o.dim(0); ch++) {
      for (int oy = 0; oy < o.height(); oy++) {
        for (int ox = 0; ox < o.width(); ox++) {
          double acc = max ? Double.NEGATIVE_INFINITY : 0;
          for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
              int iy = oy * sh - pt + ky;
              int ix = ox * sw - pl + kx;
              if (iy >= 0 && iy < s.height() && ix >= 0 && ix < s.width()) {
                float v = x[(ch * s.height() + iy) * s.width() + ix];
                acc = max ? Math.max(acc, v) : acc + v;
              }
            }
          }
          y[(ch * o.height() + oy) * o.width() + ox] = (float) (max ? acc : acc / (kh * kw));
        }
      }
    }
    return y;
  }
}
