package dev.stride.benchmarks.onnx;

import static dev.stride.runtime.NetworkDef.dilation;
import static dev.stride.runtime.NetworkDef.kernel;
import static dev.stride.runtime.NetworkDef.padding;
import static dev.stride.runtime.NetworkDef.stride;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.CompiledNetwork;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Tensor;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ONNX Runtime runs the exported model to the same outputs as Stride, for every layer option. */
class OnnxExportTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  /**
   * Asymmetric, strided, dilated, grouped convolution without bias; batch norm on maps and on
   * features; max pooling in ceil mode with padding; average pooling excluding padding in ceil mode
   * (both exported as extra padding); every activation; dropout; softmax.
   */
  @Test
  void everyLayerKind() throws Exception {
    NetworkDef net =
        NetworkDef.builder("Everything", 4, 13, 11)
            .conv2d(
                "conv1",
                6,
                6,
                5,
                kernel(3, 3),
                stride(2, 2),
                padding(1, 2, 0, 1),
                dilation(2, 1),
                2,
                false)
            .batchNorm("bn1", 1e-3)
            .tanh("act1")
            .maxPool("pool1", 4, 3, kernel(3, 3), stride(2, 2), padding(1, 1, 1, 1))
            .avgPool("pool2", 2, 2, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0), false)
            .relu("act2")
            .globalAvgPool("gap")
            .flatten("flatten")
            .linear("fc1", 8, false)
            .batchNorm("bn2", 1e-5)
            .sigmoid("act3")
            .dropout("drop", 0.5)
            .linear("fc2", 5, true)
            .softmax("softmax")
            .build();
    assertSame(net, 3);
  }

  /**
   * Average pooling that counts padding, in ceil mode (exported as AveragePool and Mul); ends in
   * dropout.
   */
  @Test
  void ceilModeAveragePoolingCountingPadding() throws Exception {
    NetworkDef net =
        NetworkDef.builder("Ceil", 3, 10, 10)
            .avgPool("pool", 6, 6, kernel(3, 3), stride(2, 2), padding(1, 1, 1, 1), true)
            .conv2d(
                "conv",
                4,
                6,
                6,
                kernel(1, 1),
                stride(1, 1),
                padding(0, 0, 0, 0),
                dilation(1, 1),
                1,
                true)
            .dropout("drop", 0.1)
            .build();
    assertSame(net, 2);
  }

  @Test
  void leNet() throws Exception {
    assertSame(LeNetModel.definition(), 3);
  }

  @Test
  void alexNet() throws Exception {
    assertSame(AlexNetModel.definition(), 1);
  }

  /** Random weights, batch-norm statistics included, and the outputs within 1e-4 of their scale. */
  private static void assertSame(NetworkDef net, int batch) throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    Map<String, Tensor> tensors = CompiledNetwork.random(net, 5).tensors();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getKey().startsWith("bn")) {
        float[] d = e.getValue().data();
        for (int i = 0; i < d.length; i++) {
          d[i] = (float) random.nextDouble(0.5, 1.5); // positive, so also fine for running_var
        }
      }
    }
    CompiledNetwork stride = CompiledNetwork.fromTensors(net, tensors);
    float[] input = new float[batch * net.input().size()];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble(-1, 1);
    }
    float[] expected = stride.forward(input, batch);

    int[] dims = net.input().dims();
    long[] shape = new long[dims.length + 1];
    shape[0] = batch;
    for (int i = 0; i < dims.length; i++) {
      shape[i + 1] = dims[i];
    }
    float[] actual;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = ENV.createSession(OnnxExport.export(net, tensors), options);
        OnnxTensor in = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(input), shape);
        OrtSession.Result result = session.run(Map.of("input", in))) {
      OnnxTensor out = (OnnxTensor) result.get("output").orElseThrow();
      assertArrayEquals(
          new long[] {batch, net.output().size()},
          flatShape(out.getInfo().getShape()),
          "output shape");
      FloatBuffer buffer = out.getFloatBuffer();
      actual = new float[buffer.remaining()];
      buffer.get(actual);
    }
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    assertTrue(scale > 0, "output is all zeros");
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs(expected[i] - actual[i]);
      assertTrue(
          diff <= 1e-4 * scale,
          net.name() + " output " + i + ": Stride " + expected[i] + ", ORT " + actual[i]);
    }
  }

  /** {@code (N, C, H, W)} outputs compare as {@code (N, C*H*W)}. */
  private static long[] flatShape(long[] shape) {
    long size = 1;
    for (int i = 1; i < shape.length; i++) {
      size *= shape[i];
    }
    return new long[] {shape[0], size};
  }
}
