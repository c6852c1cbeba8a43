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
 * first run), then passes for a while, and the time at which passes settled within 10% of the
 * steady state (the median of the last third of the passes), judged on medians of runs of at least
 * 9 passes and 200 ms.
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
 * result, ms from JVM start to the end of the first pass of the first run of passes (at least
 * {@link #WINDOW} and {@link #WINDOW_MS}) from which every run's median was within 10% of the
 * steady pass time, and that steady pass time in ms.
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
    double[] last = new double[Math.max(1, passes.size() / 3)];
    for (int i = 0; i < last.length; i++) {
      last[i] = passes.get(passes.size() - last.length + i)[1];
    }
    Arrays.sort(last);
    double steady = last[last.length / 2];
    // The passes in runs of at least WINDOW passes and WINDOW_MS; the first run from which every
    // run's median is within 10% of the steady time settles it: one pass (or one time slice of
    // the machine's other work) slowed does not reset the clock, a pass time that has not yet come
    // down does.
    List<Integer> starts = runStarts(passes);
    int settled = passes.size() - 1;
    for (int i = starts.size() - 1; i >= 0; i--) {
      int to = i + 1 < starts.size() ? starts.get(i + 1) : passes.size();
      if (median(passes, starts.get(i), to) > 1.1 * steady) {
        break;
      }
      settled = starts.get(i);
    }
    double steadyAt = passes.get(settled)[0];
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

  /** Fewest passes in each run whose median must be near the steady time (see main). */
  static final int WINDOW = 9;

  /**
   * Fewest milliseconds of passes in each such run: a small network's 9 passes fit in one time
   * slice of another process, which would then decide the run's median.
   */
  static final double WINDOW_MS = 200;

  /** Where each run of passes starts: at least {@link #WINDOW} passes and {@link #WINDOW_MS}. */
  static List<Integer> runStarts(List<double[]> passes) {
    List<Integer> starts = new ArrayList<>();
    int count = 0;
    double ms = 0;
    for (int i = 0; i < passes.size(); i++) {
      if (i == 0 || (count >= WINDOW && ms >= WINDOW_MS)) {
        starts.add(i);
        count = 0;
        ms = 0;
      }
      count++;
      ms += passes.get(i)[1];
    }
    return starts;
  }

  /** The median duration of passes {@code [from, to)}. */
  static double median(List<double[]> passes, int from, int to) {
    double[] d = new double[to - from];
    for (int i = from; i < to; i++) {
      d[i - from] = passes.get(i)[1];
    }
    Arrays.sort(d);
    return d[d.length / 2];
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
