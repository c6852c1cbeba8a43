package dev.stride.benchmarks.kernels;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.PreparedLayer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One convolution (with its fused ReLU/sigmoid) of the seed's AlexNet or d2l's LeNet: {@code
 * scalar}, {@code vector} (the im2col GEMM) or {@code auto} (the vector kernels' choice: Winograd
 * for AlexNet's conv2-5, so {@code auto} vs {@code vector} is Winograd vs GEMM); one op is one
 * batch. Setup prints the layer's direct-convolution GFLOP, so time converts to (effective)
 * GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {
  @Param({"scalar", "vector", "auto"})
  public String impl;

  @Param({"alex1", "alex2", "alex3", "alex4", "alex5", "lenet1", "lenet2"})
  public String layer;

  @Param({"1", "32"})
  public int batch;

  private PreparedLayer prepared;
  private float[] input;
  private float[] output;

  /** The layer's geometry: AlexNet conv1-5 on a 1x224x224 input, LeNet conv1-2 on 1x28x28. */
  static Conv2dGeometry geometry(String layer) {
    return switch (layer) {
      case "alex1" -> new Conv2dGeometry(1, 224, 224, 96, 54, 54, 11, 11, 4, 4, 1, 1, 1, 1, 1);
      case "alex2" -> new Conv2dGeometry(96, 26, 26, 256, 26, 26, 5, 5, 1, 1, 2, 2, 1, 1, 1);
      case "alex3" -> new Conv2dGeometry(256, 12, 12, 384, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
      case "alex4" -> new Conv2dGeometry(384, 12, 12, 384, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
      case "alex5" -> new Conv2dGeometry(384, 12, 12, 256, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1);
      case "lenet1" -> new Conv2dGeometry(1, 28, 28, 6, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1, 1);
      case "lenet2" -> new Conv2dGeometry(6, 14, 14, 16, 10, 10, 5, 5, 1, 1, 0, 0, 1, 1, 1);
      default -> throw new IllegalArgumentException(layer);
    };
  }

  /** Prepares the layer with random weights and a random batch, outside the measurement. */
  @Setup(Level.Trial)
  public void setUp() {
    Conv2dGeometry g = geometry(layer);
    Activation act = layer.startsWith("lenet") ? Activation.SIGMOID : Activation.RELU;
    prepared =
        Layers.conv(
            impl, g, Layers.randoms(1, g.weightSize()), Layers.randoms(2, g.outChannels()), act);
    input = Layers.randoms(3, batch * g.inputSize());
    output = new float[batch * g.outputSize()];
    double flops =
        2.0
            * batch
            * g.outputSize()
            * (g.inChannels() / g.groups())
            * g.kernelHeight()
            * g.kernelWidth();
    System.out.printf("%n%s batch %d: %.4f GFLOP per op%n", layer, batch, flops / 1e9);
  }

  /** One batch through the layer. */
  @Benchmark
  public float[] conv() {
    prepared.run(input, batch, output);
    return output;
  }
}
