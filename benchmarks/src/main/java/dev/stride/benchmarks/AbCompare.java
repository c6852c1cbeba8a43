package dev.stride.benchmarks;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Two builds of Stride in one JVM, taking turns: each benchmarks jar is loaded by its own class
 * loader (its own runtime classes, thread pool and JIT profile), a model of each runs for a time
 * slice, then the other, for many rounds; the median of each build's slice medians and their ratio
 * are printed. On this shared 2-core machine separate runs of one build drift by 10-30%; slices a
 * fraction of a second apart see the same noise, so the ratio is steadier than either time. Only
 * the generated models' public API is used, so any two builds compare. See benchmarks/ab.sh.
 *
 * <p>{@code AbCompare JAR_A JAR_B MODEL_CLASS BATCH [ROUNDS [SLICE_MS]]}
 */
public final class AbCompare {
  private AbCompare() {}

  /** One build's model, its input and output. */
  private static final class Side {
    final Object model;
    final Method forward;
    final float[] input;
    final float[] output;
    final int batch;

    Side(Path jar, String modelClass, int batch) throws Exception {
      URLClassLoader loader =
          new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
      Class<?> c = Class.forName(modelClass, true, loader);
      this.model = c.getMethod("random", long.class).invoke(null, 1L);
      int in = (int) c.getField("INPUT_SIZE").get(null);
      int out = (int) c.getField("OUTPUT_SIZE").get(null);
      this.forward = c.getMethod("forward", float[].class, int.class, float[].class);
      this.batch = batch;
      this.input = Compare.randomInput(batch * in, 7);
      this.output = new float[batch * out];
    }

    /** Forward passes for about {@code nanos}; the median pass in milliseconds. */
    double slice(long nanos) throws Exception {
      List<Long> times = new ArrayList<>();
      long end = System.nanoTime() + nanos;
      do {
        long t0 = System.nanoTime();
        forward.invoke(model, input, batch, output);
        times.add(System.nanoTime() - t0);
      } while (System.nanoTime() < end);
      return median(times.stream().mapToDouble(t -> t / 1e6).toArray());
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: AbCompare JAR_A JAR_B MODEL_CLASS BATCH [ROUNDS [SLICE_MS]]");
      System.exit(2);
    }
    int batch = Integer.parseInt(args[3]);
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 20;
    long slice = (args.length > 5 ? Long.parseLong(args[5]) : 500) * 1_000_000L;
    Side[] sides = {
      new Side(Path.of(args[0]), args[2], batch), new Side(Path.of(args[1]), args[2], batch)
    };
    for (Side s : sides) {
      s.slice(3_000_000_000L); // warm-up: compiled code for both before any slice counts
    }
    double[][] medians = new double[2][rounds];
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < 2; k++) {
        int side = round % 2 == 0 ? k : 1 - k; // alternate who goes first
        medians[side][round] = sides[side].slice(slice);
      }
    }
    double a = median(medians[0]);
    double b = median(medians[1]);
    System.out.printf(
        Locale.ROOT,
        "%s batch %d, %d rounds of %d ms: A %.3f ms, B %.3f ms per batch; B/A %.3f%n"
            + "  A = %s%n  B = %s%n",
        args[2],
        batch,
        rounds,
        slice / 1_000_000L,
        a,
        b,
        b / a,
        args[0],
        args[1]);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }
}
