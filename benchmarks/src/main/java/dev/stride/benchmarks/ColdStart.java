package dev.stride.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.stride.benchmarks.onnx.OnnxExport;
import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Safetensors;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One cold start, measured inside a fresh JVM that {@code benchmarks/coldstart.sh} launches once
 * per run: the time from the JVM's start to the first batch-1 result with the weights loaded from a
 * file (Stride from safetensors, ONNX Runtime from the same network's .onnx: session creation plus
 * first run), then passes for a while, and the time from which the passes had settled: no second of
 * them more than 10% slower, by its mean, than the slowest second of the last third (see {@link
 * #settledAt}).
 *
 * <pre>
 * java -cp benchmarks.jar dev.stride.benchmarks.ColdStart prepare DIR        # writes the files
 * java [--add-modules jdk.incubator.vector] -Dstride.threads=2 -cp benchmarks.jar \
 *     dev.stride.benchmarks.ColdStart stride|ort AlexNet|LeNet DIR|WEIGHTS [SECONDS] [THREADS]
 * </pre>
 *
 * <p>For {@code stride}, a weights file (safetensors or torch.save) may stand in for DIR.
 *
 * <p>Prints one tab-separated line: engine, network, ms to load, ms from JVM start to the first
 * result, ms from JVM start until the passes settled ({@link #settledAt}), and the steady pass time
 * in ms: the median of the last third of the passes.
 */
public final class ColdStart {
  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("prepare")) {
      prepare(Path.of(args[1]));
      return;
    }
    String engine = args[0];
    String net = args[1];
    Path dir = Path.of(args[2]);
    double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 20;
    int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
    boolean alex = net.equalsIgnoreCase("alexnet");
    String base = alex ? "alexnet" : "lenet";
    int inputSize = alex ? AlexNetModel.INPUT_SIZE : LeNetModel.INPUT_SIZE;
    float[] input = new float[inputSize];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) (r.nextDouble() * 2 - 1);
    }

    long loadStart = System.nanoTime();
    Pass pass;
    if (engine.equals("stride")) {
      // DIR, or a weights file of either format (benchmarks/memory.sh passes a .pt).
      Path weights = Files.isRegularFile(dir) ? dir : dir.resolve(base + ".safetensors");
      Model model = alex ? AlexNetModel.load(weights) : LeNetModel.load(weights);
      pass = () -> model.forward(input, 1)[0];
    } else {
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions so = new OrtSession.SessionOptions();
      so.setIntraOpNumThreads(threads);
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      OrtSession session = env.createSession(dir.resolve(base + ".onnx").toString(), so);
      int[] dims = (alex ? AlexNetModel.definition() : LeNetModel.definition()).input().dims();
      long[] shape = new long[dims.length + 1];
      shape[0] = 1;
      for (int d = 0; d < dims.length; d++) {
        shape[d + 1] = dims[d];
      }
      pass =
          () -> {
            try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result res = session.run(Map.of("input", t))) {
              return ((OnnxTensor) res.get(0)).getFloatBuffer().get(0);
            }
          };
    }
    double loadMs = (System.nanoTime() - loadStart) / 1e6;
    float first = pass.run();
    double firstMs = uptimeMs();

    // Passes for the given time: each one's end (ms since JVM start) and duration.
    List<double[]> passes = new ArrayList<>();
    double until = firstMs + seconds * 1000;
    float sink = first;
    while (uptimeMs() < until) {
      long t0 = System.nanoTime();
      sink += pass.run();
      double ms = (System.nanoTime() - t0) / 1e6;
      passes.add(new double[] {uptimeMs(), ms});
    }
    if (passes.isEmpty()) {
      // SECONDS 0: the first result only (memory.sh).
      passes.add(new double[] {firstMs, firstMs});
    }
    String trace = System.getProperty("coldstart.trace");
    if (trace != null) {
      StringBuilder sb = new StringBuilder();
      for (double[] p : passes) {
        sb.append(String.format(Locale.ROOT, "%.1f\t%.4f%n", p[0], p[1]));
      }
      Files.writeString(Path.of(trace), sb);
    }
    double[] last = new double[Math.max(1, passes.size() / 3)];
    for (int i = 0; i < last.length; i++) {
      last[i] = passes.get(passes.size() - last.length + i)[1];
    }
    Arrays.sort(last);
    double steady = last[last.length / 2];
    double steadyAt = settledAt(passes);
    System.out.printf(
        Locale.ROOT,
        "%s\t%s\t%.0f\t%.0f\t%.0f\t%.2f\t%s%n",
        engine,
        net,
        loadMs,
        firstMs,
        steadyAt,
        steady,
        Float.isNaN(sink) ? "NaN" : "ok");
  }

  /** Milliseconds of passes whose mean is judged at once: many time slices of other work. */
  static final double WINDOW_MS = 1000;

  /** Milliseconds between the starts of two windows. */
  static final double STEP_MS = 100;

  /**
   * When the passes settled, in ms since the JVM's start: the start of the first window (the passes
   * ending within {@link #WINDOW_MS} of it) from which on no window's mean pass time is more than
   * 10% above that of the slowest window in the last third of the run. The steady state is the last
   * third, and its slowest second is its own spread: on a shared machine pass times switch between
   * levels tens of percent apart within seconds, for either engine, and a second no slower than one
   * of the steady state's own is not still warming up. A mean over a second (its time over its
   * passes) counts a slow pass, or a time slice of another process, by its length, a few percent; a
   * median by count would let a second of fast passes (a LeNet second holds thousands) hide the
   * slow ones before them. Windows start every {@link #STEP_MS} from the first pass. If the passes
   * settled only within the last third, it tells nothing: the run's last pass's end is returned. A
   * pass time still coming down within the last third is not seen; the run must be long enough for
   * the last third to be steady.
   *
   * @param passes each pass's end (ms since the JVM's start) and duration (ms), in order
   */
  static double settledAt(List<double[]> passes) {
    double[] ends = new double[passes.size()];
    for (int i = 0; i < ends.length; i++) {
      ends[i] = passes.get(i)[0];
    }
    double first = ends[0];
    double last = ends[ends.length - 1];
    double lastThird = first + 2 * (last - first) / 3;
    List<double[]> windows = new ArrayList<>(); // start, mean
    for (double t = first - 1e-9; t + WINDOW_MS <= last; t += STEP_MS) {
      int from = lowerBound(ends, t);
      int to = lowerBound(ends, t + WINDOW_MS);
      if (to > from) {
        windows.add(new double[] {t, mean(passes, from, to)});
      }
    }
    double steadiest = 0;
    for (double[] w : windows) {
      if (w[0] >= lastThird) {
        steadiest = Math.max(steadiest, w[1]);
      }
    }
    if (steadiest == 0) {
      return last;
    }
    double settled = first;
    for (double[] w : windows) {
      if (w[1] > 1.1 * steadiest) {
        settled = w[0] + STEP_MS;
      }
    }
    return settled < lastThird ? settled : last;
  }

  /** The first index whose value is at least {@code t} in the ascending {@code a}. */
  static int lowerBound(double[] a, double t) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int m = (lo + hi) >>> 1;
      if (a[m] < t) {
        lo = m + 1;
      } else {
        hi = m;
      }
    }
    return lo;
  }

  /** The mean duration of passes {@code [from, to)}: their time over their number. */
  static double mean(List<double[]> passes, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += passes.get(i)[1];
    }
    return sum / (to - from);
  }

  /** One batch-1 pass; returns an output value, so none of the work is dead. */
  private interface Pass {
    float run() throws Exception;
  }

  private static double uptimeMs() {
    return System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
  }

  /** Random weights for both networks as safetensors, and the same networks as ONNX. */
  private static void prepare(Path dir) throws Exception {
    Files.createDirectories(dir);
    write(dir, "alexnet", AlexNetModel.random(42), AlexNetModel.definition());
    write(dir, "lenet", LeNetModel.random(42), LeNetModel.definition());
  }

  private static void write(Path dir, String base, Model model, NetworkDef def) throws Exception {
    Path weights = dir.resolve(base + ".safetensors");
    model.save(weights);
    Files.write(dir.resolve(base + ".onnx"), OnnxExport.export(def, Safetensors.read(weights)));
  }
}
