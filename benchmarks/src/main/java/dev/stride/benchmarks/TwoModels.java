package dev.stride.benchmarks;

import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Two models from two threads at once, as a server handling two requests does: each model's
 * throughput alone, then both together, in one JVM sharing Stride's one pool, in alternating
 * slices. If the pool's spinning workers took cores from the other caller, the together rates would
 * fall far below half of the alone rates on a 2-core machine.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dstride.threads=2 -cp benchmarks/target/benchmarks.jar \
 *     dev.stride.benchmarks.TwoModels [ROUNDS] [SLICE_MS]
 * </pre>
 *
 * <p>Prints per round the images/s of AlexNet batch 1 and LeNet batch 16, alone and together, and
 * the medians; "together / alone" is each model's share of its solo speed.
 */
public final class TwoModels {
  private TwoModels() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    long slice = args.length > 1 ? Long.parseLong(args[1]) : 2000;
    Model alex = AlexNetModel.random(1);
    Model lenet = LeNetModel.random(2);
    Job a = new Job("AlexNet b1", alex, AlexNetModel.INPUT_SIZE, 1);
    Job b = new Job("LeNet b16", lenet, LeNetModel.INPUT_SIZE, 16);
    // Warm-up: both compiled before anything counts.
    a.runFor(3000);
    b.runFor(3000);
    together(a, b, 3000);
    double[][] r = new double[4][rounds];
    for (int i = 0; i < rounds; i++) {
      r[0][i] = a.runFor(slice);
      r[1][i] = b.runFor(slice);
      double[] both = together(a, b, slice);
      r[2][i] = both[0];
      r[3][i] = both[1];
      System.out.printf(
          Locale.ROOT,
          "round %d: alone %s %.1f, %s %.1f images/s; together %.1f, %.1f%n",
          i + 1,
          a.name,
          r[0][i],
          b.name,
          r[1][i],
          r[2][i],
          r[3][i]);
    }
    double aAlone = median(r[0]);
    double bAlone = median(r[1]);
    double aBoth = median(r[2]);
    double bBoth = median(r[3]);
    System.out.printf(
        Locale.ROOT,
        "medians: %s alone %.1f, together %.1f images/s (%.2f of alone);"
            + " %s alone %.1f, together %.1f (%.2f); sum of shares %.2f%n",
        a.name,
        aAlone,
        aBoth,
        aBoth / aAlone,
        b.name,
        bAlone,
        bBoth,
        bBoth / bAlone,
        aBoth / aAlone + bBoth / bAlone);
  }

  /** Both jobs on their own threads for {@code ms}; their images/s. */
  private static double[] together(Job a, Job b, long ms) throws InterruptedException {
    double[] out = new double[2];
    Thread ta = new Thread(() -> out[0] = a.runFor(ms));
    Thread tb = new Thread(() -> out[1] = b.runFor(ms));
    ta.start();
    tb.start();
    ta.join();
    tb.join();
    return out;
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** One model at one batch size, run in a loop. */
  private static final class Job {
    final String name;
    final Model model;
    final float[] input;
    final float[] output;
    final int batch;
    final AtomicBoolean sink = new AtomicBoolean();

    Job(String name, Model model, int inputSize, int batch) {
      this.name = name;
      this.model = model;
      this.batch = batch;
      this.input = new float[inputSize * batch];
      SplittableRandom r = new SplittableRandom(3);
      for (int i = 0; i < input.length; i++) {
        input[i] = (float) r.nextDouble();
      }
      this.output = model.forward(input, batch);
    }

    /** Passes for {@code ms}; images per second. */
    double runFor(long ms) {
      long start = System.nanoTime();
      long end = start + ms * 1_000_000;
      long passes = 0;
      long now;
      do {
        model.forward(input, batch, output);
        passes++;
        now = System.nanoTime();
      } while (now < end);
      sink.set(Float.isNaN(output[0]));
      return passes * batch / ((now - start) / 1e9);
    }
  }
}
