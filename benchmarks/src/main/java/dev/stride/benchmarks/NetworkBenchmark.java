package dev.stride.benchmarks;

import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
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

/** Whole-network forward passes of the seed's AlexNet and d2l's LeNet; one op is one batch. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NetworkBenchmark {
  @Param({"LeNet", "AlexNet"})
  public String network;

  @Param({"1", "32"})
  public int batch;

  private Model model;
  private float[] input;

  /** Builds the model with random weights and a random batch, outside the measurement. */
  @Setup(Level.Trial)
  public void setUp() {
    int inputSize;
    if (network.equals("LeNet")) {
      model = LeNetModel.random(1);
      inputSize = LeNetModel.INPUT_SIZE;
    } else {
      model = AlexNetModel.random(1);
      inputSize = AlexNetModel.INPUT_SIZE;
    }
    SplittableRandom random = new SplittableRandom(7);
    input = new float[inputSize * batch];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble();
    }
  }

  /** One forward pass over the batch. */
  @Benchmark
  public float[] forward() {
    return model.forward(input, batch);
  }
}
