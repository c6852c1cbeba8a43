package dev.stride.benchmarks.kernels;

import dev.stride.runtime.kernel.Activation;
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
 * One fully connected layer (with ReLU) of the seed's AlexNet or d2l's LeNet, scalar or Vector API;
 * one op is one batch. Setup prints the GFLOP and weight MB per op: batch 1 is bound by streaming
 * the weights, so MB/time is the number to compare with the machine's memory bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LinearBenchmark {
  @Param({"scalar", "vector"})
  public String impl;

  @Param({"fc1", "fc2", "fc3", "lenet1", "lenet2", "lenet3"})
  public String layer;

  @Param({"1", "32"})
  public int batch;

  private PreparedLayer prepared;
  private float[] input;
  private float[] output;

  /** Sets up the layer with random weights and a random batch, outside the measurement. */
  @Setup(Level.Trial)
  public void setUp() {
    int[] sizes =
        switch (layer) {
          case "fc1" -> new int[] {6400, 4096};
          case "fc2" -> new int[] {4096, 4096};
          case "fc3" -> new int[] {4096, 10};
          case "lenet1" -> new int[] {400, 120};
          case "lenet2" -> new int[] {120, 84};
          case "lenet3" -> new int[] {84, 10};
          default -> throw new IllegalArgumentException(layer);
        };
    int in = sizes[0];
    int out = sizes[1];
    prepared =
        Layers.linear(
            impl, in, out, Layers.randoms(1, in * out), Layers.randoms(2, out), Activation.RELU);
    input = Layers.randoms(3, batch * in);
    output = new float[batch * out];
    System.out.printf(
        "%n%s batch %d: %.4f GFLOP, %.1f MB of weights per op%n",
        layer, batch, 2.0 * batch * in * out / 1e9, 4.0 * in * out / 1e6);
  }

  /** One batch through the layer. */
  @Benchmark
  public float[] linear() {
    prepared.run(input, batch, output);
    return output;
  }
}
