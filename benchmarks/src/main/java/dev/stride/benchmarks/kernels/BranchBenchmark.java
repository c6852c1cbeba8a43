package dev.stride.benchmarks.kernels;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.Kernels;
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
 * Layers of residual and depthwise networks: MobileNetV2's 3x3 depthwise convolutions ({@code
 * dw112}: 32 x 112 x 112, {@code dw7}: 960 x 7 x 7, {@code dw56s2}: 144 x 56 x 56 at stride 2),
 * ResNeXt's 32-group 3x3 ({@code g32}), each with ReLU6; {@code impl} {@code vector} is the im2col
 * GEMM, {@code auto} the vector kernels' choice (the depthwise path). {@code res56}, ResNet-18's 64
 * x 56 x 56 3x3 with its shortcut, compares the shortcut fused into the output pass ({@code auto})
 * with a separate {@code Kernels.add} ({@code vector}). One op is one batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class BranchBenchmark {
  @Param({"vector", "auto"})
  public String impl;

  @Param({"dw112", "dw7", "dw56s2", "g32", "res56"})
  public String layer;

  @Param({"1", "32"})
  public int batch;

  private PreparedLayer prepared;
  private Kernels kernels;
  private float[] input;
  private float[] output;
  private float[] residual;
  private int outputSize;
  private int channels;

  static Conv2dGeometry geometry(String layer) {
    return switch (layer) {
      case "dw112" -> new Conv2dGeometry(32, 112, 112, 32, 112, 112, 3, 3, 1, 1, 1, 1, 1, 1, 32);
      case "dw7" -> new Conv2dGeometry(960, 7, 7, 960, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 960);
      case "dw56s2" -> new Conv2dGeometry(144, 56, 56, 144, 28, 28, 3, 3, 2, 2, 1, 1, 1, 1, 144);
      case "g32" -> new Conv2dGeometry(128, 28, 28, 128, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 32);
      case "res56" -> new Conv2dGeometry(64, 56, 56, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1);
      default -> throw new IllegalArgumentException(layer);
    };
  }

  /** Prepares the layer with random weights and a random batch, outside the measurement. */
  @Setup(Level.Trial)
  public void setUp() throws ReflectiveOperationException {
    Conv2dGeometry g = geometry(layer);
    kernels =
        (Kernels)
            Class.forName("dev.stride.runtime.kernel.VectorKernels")
                .getDeclaredConstructor()
                .newInstance();
    boolean res = layer.equals("res56");
    Activation act = res ? Activation.RELU : Activation.RELU6;
    float[] weight = Layers.randoms(1, g.weightSize());
    float[] bias = Layers.randoms(2, g.outChannels());
    // The unfused shortcut: the convolution without activation, then add + ReLU.
    prepared =
        res && impl.equals("vector")
            ? kernels.prepareConv2d(g, weight, bias, Activation.NONE)
            : res
                ? kernels.prepareConv2d(g, weight, bias, act)
                : Layers.conv(impl, g, weight, bias, act);
    input = Layers.randoms(3, batch * g.inputSize());
    outputSize = batch * g.outputSize();
    channels = g.outChannels();
    output = new float[outputSize];
    residual = res ? Layers.randoms(4, outputSize) : null;
    double flops =
        2.0 * outputSize * (g.inChannels() / g.groups()) * g.kernelHeight() * g.kernelWidth();
    System.out.printf("%n%s batch %d: %.4f GFLOP per op%n", layer, batch, flops / 1e9);
  }

  /** One batch through the layer (and the shortcut's add). */
  @Benchmark
  public float[] run() {
    if (residual == null) {
      prepared.run(input, batch, output);
    } else if (impl.equals("vector")) {
      prepared.run(input, batch, output);
      kernels.add(output, residual, output, outputSize, Activation.RELU);
    } else {
      prepared.run(input, batch, output, 0, channels, residual);
    }
    return output;
  }
}
