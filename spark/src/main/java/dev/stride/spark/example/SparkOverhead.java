package dev.stride.spark.example;

import dev.stride.example.FashionMnist;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.WeightNames;
import dev.stride.runtime.kernel.Parallel;
import dev.stride.spark.StrideClassifier;
import dev.stride.spark.StrideSpark;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Throughput of LeNet at batch 256 on Spark's {@code local[N]} against a plain Java loop over the
 * same images with the same N threads, alternating the two in one JVM so that a noisy machine slows
 * both alike; prints each round and the medians.
 *
 * <p>Arguments, all optional: rounds (default 7, the first a warm-up left out of the medians),
 * images (default 60,000: the test set repeated), and N (default 2). The Spark side reads a cached
 * DataFrame of {@code array<float>} rows in 4N partitions and writes its output to Spark's no-op
 * sink, so it pays for Spark's rows and tasks but not for Parquet. A fourth run, Spark with a model
 * whose forward computes nothing, measures Spark's own cost.
 */
public final class SparkOverhead {
  private static final int BATCH = 256;

  private SparkOverhead() {}

  /** Runs the comparison; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 60_000;
    int cores = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    if (System.getProperty(Parallel.THREADS_PROPERTY) == null) {
      // Before any model runs: the plain loop gets as many threads as Spark gets cores.
      System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(cores));
    }

    FashionMnist test = FashionMnist.testSet();
    float[] images = new float[count * FashionMnist.PIXELS];
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      int from = i % test.count();
      System.arraycopy(
          test.images(),
          from * FashionMnist.PIXELS,
          images,
          i * FashionMnist.PIXELS,
          FashionMnist.PIXELS);
      labels[i] = test.labels()[from];
    }
    FashionMnist data = new FashionMnist(test.source() + ", repeated", images, labels);
    Path weights = FashionMnistOnSpark.shippedWeights();
    LeNetModel model = LeNetModel.load(weights, WeightNames.sequential());

    SparkSession spark =
        SparkSession.builder()
            .master("local[" + cores + "]")
            .appName("stride-spark-overhead")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      Dataset<Row> df = FashionMnistOnSpark.toDataFrame(spark, data).repartition(4 * cores).cache();
      df.count();
      StrideClassifier classifier =
          StrideSpark.classifier(
                  p -> LeNetModel.load(p, WeightNames.sequential()), weights.toUri().toString())
              .setBatchSize(BATCH);
      out.printf(
          Locale.ROOT,
          "LeNet, batch %d, %,d images, local[%d] against a plain loop on %d threads%n",
          BATCH,
          count,
          cores,
          Parallel.threads());
      double[] plain = new double[rounds];
      double[] perCore = new double[rounds];
      double[] onSpark = new double[rounds];
      double[] bare = new double[rounds];
      double[] plainCpu = new double[rounds];
      double[] perCoreCpu = new double[rounds];
      double[] sparkCpu = new double[rounds];
      double[] bareCpu = new double[rounds];
      StrideClassifier skipped =
          StrideSpark.classifier(
                  p -> new NoForward(LeNetModel.load(p, WeightNames.sequential())),
                  weights.toUri().toString())
              .setBatchSize(BATCH);
      for (int r = 0; r < rounds; r++) {
        // Rotate the order, so that none always runs in another's wake.
        for (int k = 0; k < 4; k++) {
          double cpu = cpuSeconds();
          switch ((r + k) % 4) {
            case 0 -> {
              plain[r] = plainLoop(model, data);
              plainCpu[r] = cpuSeconds() - cpu;
            }
            case 1 -> {
              perCore[r] = perCoreLoops(model, data, cores);
              perCoreCpu[r] = cpuSeconds() - cpu;
            }
            case 2 -> {
              onSpark[r] = spark(classifier, df);
              sparkCpu[r] = cpuSeconds() - cpu;
            }
            default -> {
              bare[r] = spark(skipped, df);
              bareCpu[r] = cpuSeconds() - cpu;
            }
          }
        }
        out.printf(
            Locale.ROOT,
            "round %d%s: plain %,7.0f   %d x 1 thread %,7.0f   Spark %,7.0f images/s   Spark/plain"
                + " %.3f   Spark/(%d x 1) %.3f   forward skipped %.2f s%n",
            r,
            r == 0 ? " (warm-up)" : "",
            count / plain[r],
            cores,
            count / perCore[r],
            count / onSpark[r],
            onSpark[r] / plain[r],
            cores,
            onSpark[r] / perCore[r],
            bare[r]);
      }
      double sparkMedian = median(onSpark);
      out.printf(
          Locale.ROOT,
          "medians: plain %,.0f, %d x 1 thread %,.0f, Spark %,.0f images/s%n",
          count / median(plain),
          cores,
          count / median(perCore),
          count / sparkMedian);
      out.printf(
          Locale.ROOT,
          "Spark overhead against the plain loop: %.1f%% (median of the rounds' ratios %.1f%%);"
              + " against %d x 1 thread: %.1f%% (%.1f%%)%n",
          100 * (sparkMedian / median(plain) - 1),
          100 * (median(ratios(onSpark, plain)) - 1),
          cores,
          100 * (sparkMedian / median(perCore) - 1),
          100 * (median(ratios(onSpark, perCore)) - 1));
      out.printf(
          Locale.ROOT,
          "Spark with forward skipped (its own cost): %.3f s wall, %.1f us CPU per image;"
              + " the plain loop's forward %.1f us CPU per image (medians)%n",
          median(bare),
          1e6 * median(bareCpu) / count,
          1e6 * median(plainCpu) / count);
      // CPU time barely depends on how many other processes share the cores, wall time does.
      out.printf(
          Locale.ROOT,
          "CPU time of this JVM per 1,000 images (medians): plain %.3f s, %d x 1 thread %.3f s,"
              + " Spark %.3f s; Spark's extra CPU against the plain loop %.1f%%, against %d x 1"
              + " thread %.1f%%%n",
          1000 * median(plainCpu) / count,
          cores,
          1000 * median(perCoreCpu) / count,
          1000 * median(sparkCpu) / count,
          100 * (median(sparkCpu) / median(plainCpu) - 1),
          cores,
          100 * (median(sparkCpu) / median(perCoreCpu) - 1));
    } finally {
      spark.stop();
    }
  }

  /**
   * LeNet's shapes with a {@code forward} that computes nothing: what is left of the Spark job is
   * Spark's own cost, rows in and out, tasks and scheduling.
   */
  static final class NoForward implements Model {
    private final Model model;

    NoForward(Model model) {
      this.model = model;
    }

    @Override
    public float[] forward(float[] input) {
      return new float[model.network().output().size()];
    }

    @Override
    public float[] forward(float[] input, int batch) {
      return new float[batch * model.network().output().size()];
    }

    @Override
    public void forward(float[] input, int batch, float[] output) {
      // Nothing: the output array keeps whatever it held.
    }

    @Override
    public void save(Path path) throws IOException {
      model.save(path);
    }

    @Override
    public NetworkDef network() {
      return model.network();
    }
  }

  /** Seconds for the plain loop: batches of 256 through one model on the pool's threads. */
  static double plainLoop(LeNetModel model, FashionMnist data) {
    long start = System.nanoTime();
    classify(model, data, 0, data.count());
    return (System.nanoTime() - start) / 1e9;
  }

  /** Images {@code [from, to)} in batches of 256, arrays reused, arg-max per image. */
  static void classify(LeNetModel model, FashionMnist data, int from, int to) {
    float[] input = new float[BATCH * FashionMnist.PIXELS];
    float[] output = new float[BATCH * LeNetModel.OUTPUT_SIZE];
    long checksum = 0;
    for (int at = from; at < to; at += BATCH) {
      int size = Math.min(BATCH, to - at);
      float[] in = size == BATCH ? input : new float[size * FashionMnist.PIXELS];
      System.arraycopy(data.images(), at * FashionMnist.PIXELS, in, 0, size * FashionMnist.PIXELS);
      model.forward(in, size, output);
      for (int i = 0; i < size; i++) {
        int best = 0;
        for (int k = 1; k < LeNetModel.OUTPUT_SIZE; k++) {
          if (output[i * LeNetModel.OUTPUT_SIZE + k] > output[i * LeNetModel.OUTPUT_SIZE + best]) {
            best = k;
          }
        }
        checksum += best;
      }
    }
    if (checksum < 0) {
      throw new AssertionError("unreachable: keeps the arg-max from being optimised away");
    }
  }

  /**
   * Seconds for the work split as Spark splits it: {@code cores} Java threads, each running batches
   * of 256 over its share of the images on one thread of its own ({@code spark.task.cpus=1}).
   */
  static double perCoreLoops(LeNetModel model, FashionMnist data, int cores) {
    Thread[] threads = new Thread[cores];
    long start = System.nanoTime();
    for (int t = 0; t < cores; t++) {
      int from = (int) ((long) data.count() * t / cores);
      int to = (int) ((long) data.count() * (t + 1) / cores);
      threads[t] = new Thread(() -> Parallel.withThreads(1, () -> classify(model, data, from, to)));
      threads[t].start();
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** Seconds for the Spark job: every row classified and materialised, nothing written. */
  static double spark(StrideClassifier classifier, Dataset<Row> df) {
    long start = System.nanoTime();
    classifier
        .transform(df, "pixels", "prediction")
        .write()
        .format("noop")
        .mode("overwrite")
        .save();
    return (System.nanoTime() - start) / 1e9;
  }

  /** CPU seconds this JVM's threads have used so far, all of them (Spark's, the pool's, GC). */
  static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  private static double[] ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    return r;
  }

  /** The median of the rounds after the first, which warms the JIT. */
  static double median(double[] values) {
    double[] sorted = Arrays.copyOfRange(values, values.length > 1 ? 1 : 0, values.length);
    Arrays.sort(sorted);
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
}
