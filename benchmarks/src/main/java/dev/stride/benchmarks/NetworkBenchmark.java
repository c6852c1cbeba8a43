package dev.stride.benchmarks;

import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Parallel;
import java.util.SplittableRandom;
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
 * Whole-network forward passes of the seed's AlexNet and d2l's LeNet at the batch sizes of the
 * project's speed targets, scalar vs vector kernels; one op is one batch, so images/s = batch /
 * (ms/op) x 1000.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar NetworkBenchmark                   # all cases
 * java -jar benchmarks/target/benchmarks.jar NetworkBenchmark -p kernels=vector -p net=LeNet-256
 * java -jar benchmarks/target/benchmarks.jar NetworkBenchmark -prof gc          # bytes/op
 * </pre>
 *
 * <p>Each parameter combination runs in a fresh fork (JMH's default), so {@code kernels} and {@code
 * threads} are set as {@code stride.kernels} / {@code stride.threads} before anything reads them; a
 * run that asks for {@code vector} fails rather than quietly measuring the scalar kernels. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated per batch: the goal is none
 * in steady state.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class NetworkBenchmark {
  /** Network and batch, as the project's speed targets pair them. */
  @Param({"LeNet-1", "LeNet-256", "AlexNet-1", "AlexNet-32"})
  public String net;

  /** {@code stride.kernels}: {@code scalar} or {@code vector}. */
  @Param({"scalar", "vector"})
  public String kernels;

  /** {@code stride.threads}: the kernels' pool size. */
  @Param({"2"})
  public int threads;

  private Model model;
  private float[] input;
  private float[] output;
  private int batch;

  /** Picks the kernels and threads, builds the model and a random batch, outside the timing. */
  @Setup(Level.Trial)
  public void setUp() {
    System.setProperty(KernelProvider.KERNELS_PROPERTY, kernels);
    System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(threads));
    String chosen = KernelProvider.kernels().name();
    if (kernels.equals("scalar") != chosen.equals("scalar")) {
      throw new IllegalStateException(
          "asked for " + kernels + " kernels, got " + chosen + ": " + KernelProvider.reason());
    }
    if (Parallel.threads() != threads) {
      throw new IllegalStateException(
          "asked for " + threads + " threads, got " + Parallel.threads() + " (read too early)");
    }
    String[] parts = net.split("-");
    batch = Integer.parseInt(parts[1]);
    int inputSize;
    if (parts[0].equals("LeNet")) {
      model = LeNetModel.random(1);
      inputSize = LeNetModel.INPUT_SIZE;
    } else if (parts[0].equals("AlexNet")) {
      model = AlexNetModel.random(1);
      inputSize = AlexNetModel.INPUT_SIZE;
    } else {
      throw new IllegalArgumentException("net is LeNet-N or AlexNet-N, got " + net);
    }
    SplittableRandom random = new SplittableRandom(7);
    input = new float[inputSize * batch];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble();
    }
    output = new float[batch * model.network().output().size()];
  }

  /**
   * One forward pass over the batch into a reused output array, as a serving loop would run it, so
   * {@code -prof gc} shows what the forward pass itself allocates.
   */
  @Benchmark
  public float[] forward() {
    model.forward(input, batch, output);
    return output;
  }
}
