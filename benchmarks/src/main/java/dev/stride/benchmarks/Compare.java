package dev.stride.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.stride.benchmarks.onnx.OnnxExport;
import dev.stride.example.AlexNetModel;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Parallel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * Stride against ONNX Runtime on the same networks with the same weights, in one JVM: for each case
 * it builds the generated model with random weights, exports those weights to ONNX, checks that
 * both give the same output, then alternates timed rounds of the two and prints median images/s,
 * GFLOP/s, the fraction of the machine's peak and the ratio, as a Markdown table.
 *
 * <p>Run it as {@code benchmarks/compare.sh} does (that script also runs JDK 25 and PyTorch):
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dstride.threads=2 \
 *     -cp benchmarks/target/benchmarks.jar dev.stride.benchmarks.Compare [--quick]
 * </pre>
 *
 * <p>Options: {@code --quick} (3 short rounds, for a smoke test), {@code --rounds N}, {@code
 * --round-seconds S}, {@code --warmup-seconds S}, {@code --cases alexnet-32,lenet-1,...}, {@code
 * --threads N} (ONNX Runtime's intra-op threads; Stride's come from {@code -Dstride.threads}),
 * {@code --dir DIR} (where the .onnx, .safetensors and .json files go, for torch_bench.py), {@code
 * --tsv FILE} (append the results, for {@code --combine}), and {@code --combine FILE...} (print one
 * table from several runs' TSV files and exit).
 */
public final class Compare {
  /** Outputs must agree within this fraction of the output's scale (its largest magnitude). */
  static final double TOLERANCE = 1e-4;

  /** The batch the agreement check runs, so the batch dimension itself is checked too. */
  private static final int CHECK_BATCH = 2;

  private static final long SEED = 42;

  /**
   * One network, as the generated class describes it: its input, its cost, its random model, and
   * how to hand the same network and weights to ONNX Runtime ({@code onnx}) and to torch_bench.py
   * ({@code json}, the file it builds the PyTorch twin from).
   */
  record Network(
      String name,
      int[] input,
      int inputSize,
      long multiplyAdds,
      LongFunction<Model> random,
      Function<Map<String, Tensor>, byte[]> onnx,
      Supplier<String> json) {
    /** A chain network: exported layer by layer, its layer table for torch_bench.py. */
    static Network chain(
        String name,
        NetworkDef definition,
        int inputSize,
        long multiplyAdds,
        LongFunction<Model> random) {
      return new Network(
          name,
          definition.input().dims(),
          inputSize,
          multiplyAdds,
          random,
          tensors -> OnnxExport.export(definition, tensors),
          () -> LayerTable.json(definition));
    }
  }

  private static final List<Network> NETWORKS = networks();

  private static List<Network> networks() {
    List<Network> networks = new ArrayList<>();
    networks.add(
        Network.chain(
            "AlexNet",
            AlexNetModel.definition(),
            AlexNetModel.INPUT_SIZE,
            AlexNetModel.MULTIPLY_ADDS,
            AlexNetModel::random));
    networks.add(
        Network.chain(
            "LeNet",
            LeNetModel.definition(),
            LeNetModel.INPUT_SIZE,
            LeNetModel.MULTIPLY_ADDS,
            LeNetModel::random));
    networks.addAll(BlockNetworks.networks());
    return List.copyOf(networks);
  }

  /** The project's speed targets: Stride / ONNX Runtime images/s at least this. */
  private static final Map<String, Double> TARGETS =
      Map.of(
          "AlexNet-32", 1.1,
          "AlexNet-1", 1.0,
          "LeNet-256", 1.0,
          "LeNet-1", 1.0,
          "ResNet18-32", 1.0,
          "ResNet18-1", 1.0,
          "MobileNetV2-1", 1.0);

  private static final List<String> DEFAULT_CASES = defaultCases();

  private static List<String> defaultCases() {
    List<String> cases =
        new ArrayList<>(List.of("AlexNet-32", "AlexNet-1", "LeNet-256", "LeNet-1"));
    cases.addAll(BlockNetworks.DEFAULT_CASES);
    return List.copyOf(cases);
  }

  /** One measured engine on one case. */
  record Result(
      String run,
      String engine,
      String network,
      int batch,
      double imagesPerSecond,
      double gflops,
      double spread,
      double peak) {
    /** GFLOP/s over the measured peak, or NaN when the run measured none. */
    double peakFraction(double fallbackPeak) {
      double p = peak > 0 ? peak : fallbackPeak;
      return p > 0 ? gflops / p : Double.NaN;
    }

    String tsv() {
      return String.join(
          "\t",
          run,
          engine,
          network,
          Integer.toString(batch),
          format("%.4f", imagesPerSecond),
          format("%.4f", gflops),
          format("%.4f", spread),
          format("%.4f", peak));
    }

    static Result parse(String line) {
      String[] f = line.split("\t");
      return new Result(
          f[0],
          f[1],
          f[2],
          Integer.parseInt(f[3]),
          Double.parseDouble(f[4]),
          Double.parseDouble(f[5]),
          Double.parseDouble(f[6]),
          // PyTorch's rows (torch_bench.py) carry no peak of their own.
          f.length > 7 ? Double.parseDouble(f[7]) : 0);
    }
  }

  private final Options options;

  /** This JVM's measured FMA peak for Stride's species, GFLOP/s; 0 with the scalar kernels. */
  private double peak;

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();

  /**
   * "JDK 17", or "JDK 17 Winograd on" / "off" when {@code -Dstride.winograd} is set, so that
   * compare.sh's two JDK 17 runs are two columns of the targets table.
   */
  private final String run =
      "JDK "
          + Runtime.version().feature()
          + (System.getProperty("stride.winograd") == null
              ? ""
              : KernelProvider.winograd() ? " Winograd on" : " Winograd off");

  private Compare(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    if (!options.combine.isEmpty()) {
      List<Result> results = new ArrayList<>();
      for (Path p : options.combine) {
        if (Files.exists(p)) {
          for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
              results.add(Result.parse(line));
            }
          }
        }
      }
      System.out.println(table(results));
      System.out.println();
      System.out.println(targets(results));
      return;
    }
    System.exit(new Compare(options).run());
  }

  private int run() throws Exception {
    String kernels = KernelProvider.kernels().name();
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    // Measured before anything else runs, on as many threads as both engines get.
    peak = kernels.equals("vector") ? KernelProvider.fmaPeak(options.threads) : 0;
    System.out.printf(
        Locale.ROOT,
        "# Stride vs ONNX Runtime%n%n"
            + "- JVM: %s %s (%s), %d processors%n"
            + "- CPU: %s; AVX-512: %s%n"
            + "- Stride kernels: %s (%s), stride.threads=%d%n"
            + "- Geometry: %s%n"
            + "- ONNX Runtime %s: %d intra-op threads, 1 inter-op, sequential, all optimizations%n"
            + "- %d rounds each, alternating, each round >= %.1f s (at least one batch), warm-up"
            + " >= %.1f s and >= 5 batches per engine; median images/s%n"
            + "- GFLOP/s = images/s x 2 x multiply-adds per image; %% of peak: of %.1f GFLOP/s,"
            + " this JVM's measured %d-bit FMA peak on %d threads (KernelProvider.fmaPeak)%n"
            + "- load average before the run: %.2f%n%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"),
        System.getProperty("java.vm.vendor"),
        Runtime.getRuntime().availableProcessors(),
        cpuModel(),
        avx512(),
        kernels,
        KernelProvider.reason(),
        Parallel.threads(),
        KernelProvider.geometry(),
        ortVersion(),
        options.threads,
        options.rounds,
        options.roundSeconds,
        options.warmupSeconds,
        peak,
        KernelProvider.vectorBits(),
        options.threads,
        load);
    if (Parallel.threads() != options.threads) {
      System.out.printf(
          "WARNING: Stride runs %d threads, ONNX Runtime %d: pass -Dstride.threads=%d%n%n",
          Parallel.threads(), options.threads, options.threads);
    }
    if (load > 0.5) {
      System.out.printf(
          Locale.ROOT,
          "WARNING: load average %.2f: something else is running on this %d-core machine, so"
              + " these numbers are not the machine's%n%n",
          load,
          Runtime.getRuntime().availableProcessors());
    }
    Files.createDirectories(options.dir);
    List<Result> results = new ArrayList<>();
    boolean agreed = true;
    Map<String, Prepared> prepared = new LinkedHashMap<>();
    for (String c : options.cases) {
      String[] parts = c.split("-");
      Network network = network(parts[0]);
      int batch = Integer.parseInt(parts[1]);
      Prepared p = prepared.get(network.name());
      if (p == null) {
        p = prepare(network);
        prepared.put(network.name(), p);
      }
      if (!p.agrees) {
        agreed = false;
        System.out.printf("SKIPPED %s: ONNX Runtime and Stride disagree%n", c);
        continue;
      }
      String engine =
          kernels.equals("vector") && KernelProvider.winograd()
              ? "Stride (vector, Winograd)"
              : "Stride (" + kernels + ")";
      results.addAll(measure(p, batch, engine));
      System.out.println();
    }
    for (Prepared p : prepared.values()) {
      p.session.close();
    }
    System.out.println(table(results));
    System.out.println();
    System.out.println(targets(results));
    if (options.tsv != null) {
      StringBuilder sb = new StringBuilder();
      for (Result r : results) {
        sb.append(r.tsv()).append('\n');
      }
      Files.writeString(
          options.tsv,
          sb.toString(),
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    }
    return agreed ? 0 : 1;
  }

  private static Network network(String name) {
    for (Network n : NETWORKS) {
      if (n.name().equalsIgnoreCase(name)) {
        return n;
      }
    }
    List<String> names = new ArrayList<>();
    for (Network n : NETWORKS) {
      names.add(n.name());
    }
    throw new IllegalArgumentException("unknown network " + name + "; use one of " + names);
  }

  /** A network's model, its ONNX twin and whether the two agree. */
  private static final class Prepared {
    Network network;
    Model model;
    OrtSession session;
    boolean agrees;
  }

  /**
   * Builds the model, saves its weights (safetensors, for torch_bench.py) and its table (JSON),
   * exports them to ONNX, and checks ONNX Runtime's output against Stride's.
   */
  private Prepared prepare(Network network) throws IOException, OrtException {
    Prepared p = new Prepared();
    p.network = network;
    p.model = network.random().apply(SEED);
    String base = network.name().toLowerCase(Locale.ROOT);
    Path weights = options.dir.resolve(base + ".safetensors");
    p.model.save(weights);
    Map<String, Tensor> tensors = Safetensors.read(weights); // what was saved is what ORT gets
    byte[] onnx = network.onnx().apply(tensors);
    Files.write(options.dir.resolve(base + ".onnx"), onnx);
    Files.writeString(options.dir.resolve(base + ".json"), network.json().get());

    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setIntraOpNumThreads(options.threads);
    so.setInterOpNumThreads(1);
    so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    p.session = env.createSession(onnx, so);
    so.close();

    // The same input through both; the largest difference relative to the output's scale.
    float[] input = randomInput(network.inputSize() * CHECK_BATCH, 7);
    float[] stride = p.model.forward(input, CHECK_BATCH);
    float[] ort;
    try (OnnxTensor t = tensor(input, network, CHECK_BATCH);
        OrtSession.Result r = p.session.run(Map.of("input", t))) {
      FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
      ort = new float[out.remaining()];
      out.get(ort);
    }
    double scale = 0;
    double diff = ort.length == stride.length ? 0 : Double.POSITIVE_INFINITY;
    for (int i = 0; i < Math.min(ort.length, stride.length); i++) {
      scale = Math.max(scale, Math.abs(stride[i]));
      diff = Math.max(diff, Math.abs(ort[i] - stride[i]));
    }
    double relative = diff / Math.max(scale, Float.MIN_NORMAL);
    p.agrees = relative <= TOLERANCE;
    System.out.printf(
        Locale.ROOT,
        "Agreement %s (batch %d, seed %d): max |ORT - Stride| = %.3e, output scale max|Stride| ="
            + " %.3e, relative %.3e: %s (tolerance %.0e)%n",
        network.name(),
        CHECK_BATCH,
        SEED,
        diff,
        scale,
        relative,
        p.agrees ? "same network and weights" : "DISAGREE, comparison aborted",
        TOLERANCE);
    // The input and Stride's output, so torch_bench.py can check itself the same way.
    Map<String, Tensor> check = new LinkedHashMap<>();
    int[] inShape = new int[network.input().length + 1];
    inShape[0] = CHECK_BATCH;
    System.arraycopy(network.input(), 0, inShape, 1, inShape.length - 1);
    check.put("input", new Tensor(inShape, input));
    check.put("output", new Tensor(new int[] {CHECK_BATCH, stride.length / CHECK_BATCH}, stride));
    Safetensors.write(options.dir.resolve(base + "-check.safetensors"), check);
    return p;
  }

  private OnnxTensor tensor(float[] input, Network network, int batch) throws OrtException {
    int[] dims = network.input();
    long[] shape = new long[dims.length + 1];
    shape[0] = batch;
    for (int i = 0; i < dims.length; i++) {
      shape[i + 1] = dims[i];
    }
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
  }

  /** {@code size} floats in [0, 1) from {@code seed}: the inputs every benchmark here feeds. */
  static float[] randomInput(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] input = new float[size];
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextDouble();
    }
    return input;
  }

  /** One engine's forward pass over the prepared batch. */
  @FunctionalInterface
  private interface Engine {
    void run() throws OrtException;
  }

  /** Warms both engines up, then alternates timed rounds; returns Stride's and ORT's medians. */
  private List<Result> measure(Prepared p, int batch, String strideName) throws OrtException {
    Network network = p.network;
    float[] input = randomInput(network.inputSize() * batch, 11);
    Map<String, OnnxTensor> feed = Map.of("input", tensor(input, network, batch));
    Engine stride = () -> p.model.forward(input, batch);
    Engine ort =
        () -> {
          try (OrtSession.Result r = p.session.run(feed)) {
            if (r.size() != 1) {
              throw new IllegalStateException("one output expected");
            }
          }
        };
    String label = network.name() + " batch " + batch;
    System.out.printf("%s: warming up%n", label);
    warmUp(stride, options.warmupSeconds);
    warmUp(ort, options.warmupSeconds);
    double[] strideRates = new double[options.rounds];
    double[] ortRates = new double[options.rounds];
    for (int round = 0; round < options.rounds; round++) {
      strideRates[round] = batch * time(stride, options.roundSeconds);
      pause();
      ortRates[round] = batch * time(ort, options.roundSeconds);
      pause();
      System.out.printf(
          Locale.ROOT,
          "%s round %d/%d: Stride %.2f images/s, ORT %.2f images/s%n",
          label,
          round + 1,
          options.rounds,
          strideRates[round],
          ortRates[round]);
    }
    feed.get("input").close();
    return List.of(
        result(strideName, network, batch, strideRates),
        result("ONNX Runtime " + ortVersion(), network, batch, ortRates));
  }

  /** Lets the other engine's threads go idle (ORT's spin briefly) before the next round. */
  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Result result(String engine, Network network, int batch, double[] rates) {
    double[] sorted = rates.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    double gflops = median * 2.0 * network.multiplyAdds() / 1e9;
    double spread = median > 0 ? (sorted[n - 1] - sorted[0]) / median : 0;
    return new Result(run, engine, network.name(), batch, median, gflops, spread, peak);
  }

  /** The longest a warm-up goes on waiting for steady calls. */
  private static final double MAX_WARMUP_SECONDS = 60;

  /**
   * Runs {@code engine} for at least {@code seconds}, at least {@link #WARMUP_BATCHES} calls, and
   * until a call is within 10% of the fastest before it: a ResNet-18 batch takes longer than a
   * quick warm-up's budget, and its first calls run before the JIT has compiled the kernels.
   */
  private static void warmUp(Engine engine, double seconds) throws OrtException {
    long budget = (long) (seconds * 1e9);
    long limit = (long) (MAX_WARMUP_SECONDS * 1e9);
    long start = System.nanoTime();
    long best = Long.MAX_VALUE;
    long last;
    boolean steady;
    int calls = 0;
    do {
      long t0 = System.nanoTime();
      engine.run();
      calls++;
      last = System.nanoTime() - t0;
      steady = last <= 1.1 * best;
      best = Math.min(best, last);
    } while ((System.nanoTime() - start < budget || !steady || calls < WARMUP_BATCHES)
        && System.nanoTime() - start < limit);
  }

  /**
   * Batches a warm-up runs at least, whatever its seconds: where one batch takes about a second
   * (AlexNet at batch 32 on two AVX2 cores), a half-second warm-up was one batch, and the timed
   * rounds then measured C2 still compiling the kernels.
   */
  private static final int WARMUP_BATCHES = 5;

  /** Runs batches until {@code seconds} have passed (at least one); returns batches per second. */
  private static double time(Engine engine, double seconds) throws OrtException {
    long budget = (long) (seconds * 1e9);
    long start = System.nanoTime();
    long elapsed;
    int batches = 0;
    do {
      engine.run();
      batches++;
      elapsed = System.nanoTime() - start;
    } while (elapsed < budget);
    return batches / (elapsed / 1e9);
  }

  /** The CPU's model name from /proc/cpuinfo, or os.arch where there is none. */
  static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // Not Linux: say what the JVM knows.
    }
    return System.getProperty("os.arch");
  }

  /**
   * Whether the CPU has AVX-512 (the avx512f flag) and whether this JVM's vectors use it: {@code
   * -XX:UseAVX=2} keeps C2 to AVX2 on an AVX-512 machine.
   */
  static String avx512() {
    boolean cpu = false;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
        if (line.startsWith("flags")) {
          cpu = line.contains(" avx512f");
          break;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
    if (!cpu) {
      return "no";
    }
    if (!KernelProvider.kernels().name().equals("vector")) {
      return "yes";
    }
    return KernelProvider.vectorRegisters() >= 32
        ? "yes, used by this JVM"
        : "yes, but this JVM does not use it (-XX:UseAVX=2?)";
  }

  private static String ortVersion() {
    try {
      return OrtEnvironment.getEnvironment().getVersion();
    } catch (RuntimeException | LinkageError e) {
      String v = OrtEnvironment.class.getPackage().getImplementationVersion();
      return v == null ? "" : v;
    }
  }

  // ---- the tables ----

  /** One row per engine and case; ratios are against ONNX Runtime of the same run. */
  static String table(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| Case | Engine | Run | images/s | GFLOP/s | % of peak | spread | vs ORT |\n");
    sb.append("|---|---|---|---:|---:|---:|---:|---:|\n");
    // PyTorch's rows are measured against the JDK 17 run's peak (the first one with a peak).
    double fallbackPeak = 0;
    for (Result r : results) {
      if (r.peak() > 0) {
        fallbackPeak = r.peak();
        break;
      }
    }
    for (String c : cases(results)) {
      for (Result r : results) {
        if (!key(r).equals(c)) {
          continue;
        }
        Result ort = baseline(results, r);
        String ratio =
            r.engine().startsWith("ONNX Runtime") || ort == null
                ? ""
                : format("%.2fx", r.imagesPerSecond() / ort.imagesPerSecond());
        sb.append(
            format(
                "| %s b%d | %s | %s | %s | %.1f | %.1f%% | %.0f%% | %s |%n",
                r.network(),
                r.batch(),
                r.engine(),
                r.run(),
                rate(r.imagesPerSecond()),
                r.gflops(),
                100 * r.peakFraction(fallbackPeak),
                100 * r.spread(),
                ratio));
      }
    }
    return sb.toString();
  }

  /** The project's speed targets, Stride / ORT per run. */
  static String targets(List<Result> results) {
    List<String> runs = new ArrayList<>();
    for (Result r : results) {
      if (r.engine().startsWith("Stride") && !runs.contains(r.run())) {
        runs.add(r.run());
      }
    }
    StringBuilder sb = new StringBuilder("| Case | target Stride/ORT |");
    StringBuilder rule = new StringBuilder("|---|---:|");
    for (String run : runs) {
      sb.append(' ').append(run).append(" |");
      rule.append("---:|");
    }
    sb.append('\n').append(rule).append('\n');
    for (String c : cases(results)) {
      Double target = TARGETS.get(c);
      if (target == null) {
        continue;
      }
      sb.append(format("| %s | >= %.1fx |", c.replace("-", " b"), target));
      for (String run : runs) {
        String cell = " - |";
        for (Result r : results) {
          if (key(r).equals(c) && r.run().equals(run) && r.engine().startsWith("Stride")) {
            Result ort = baseline(results, r);
            if (ort != null) {
              double ratio = r.imagesPerSecond() / ort.imagesPerSecond();
              cell = format(" %.2fx %s |", ratio, ratio >= target ? "met" : "NOT met");
            }
          }
        }
        sb.append(cell);
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String key(Result r) {
    return r.network() + "-" + r.batch();
  }

  private static List<String> cases(List<Result> results) {
    List<String> cases = new ArrayList<>();
    for (String c : DEFAULT_CASES) {
      for (Result r : results) {
        if (key(r).equals(c) && !cases.contains(c)) {
          cases.add(c);
        }
      }
    }
    for (Result r : results) {
      if (!cases.contains(key(r))) {
        cases.add(key(r));
      }
    }
    return cases;
  }

  /** ORT measured in the same run, or else in the first run that has it (for PyTorch's rows). */
  private static Result baseline(List<Result> results, Result r) {
    Result any = null;
    for (Result o : results) {
      if (key(o).equals(key(r)) && o.engine().startsWith("ONNX Runtime")) {
        if (o.run().equals(r.run())) {
          return o;
        }
        if (any == null) {
          any = o;
        }
      }
    }
    return any;
  }

  private static String rate(double imagesPerSecond) {
    return imagesPerSecond >= 100
        ? format("%.0f", imagesPerSecond)
        : imagesPerSecond >= 10 ? format("%.1f", imagesPerSecond) : format("%.2f", imagesPerSecond);
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  /** The command line. */
  private static final class Options {
    int rounds = 9;
    double roundSeconds = 1.0;
    double warmupSeconds = 3.0;
    int threads = 2;
    List<String> cases = new ArrayList<>(DEFAULT_CASES);
    Path dir = Path.of("benchmarks", "target", "compare");
    Path tsv;
    List<Path> combine = new ArrayList<>();

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--quick" -> {
            o.rounds = 3;
            o.roundSeconds = 0.3;
            o.warmupSeconds = 0.5;
          }
          case "--rounds" -> o.rounds = Integer.parseInt(args[++i]);
          case "--round-seconds" -> o.roundSeconds = Double.parseDouble(args[++i]);
          case "--warmup-seconds" -> o.warmupSeconds = Double.parseDouble(args[++i]);
          case "--threads" -> o.threads = Integer.parseInt(args[++i]);
          case "--dir" -> o.dir = Path.of(args[++i]);
          case "--tsv" -> o.tsv = Path.of(args[++i]);
          case "--cases" -> {
            o.cases = new ArrayList<>();
            for (String c : args[++i].split(",")) {
              String[] parts = c.trim().split("-");
              if (parts.length != 2) {
                throw new IllegalArgumentException("a case is NETWORK-BATCH, e.g. alexnet-32");
              }
              o.cases.add(network(parts[0]).name() + "-" + Integer.parseInt(parts[1]));
            }
          }
          case "--combine" -> {
            while (i + 1 < args.length) {
              o.combine.add(Path.of(args[++i]));
            }
          }
          default ->
              throw new IllegalArgumentException("unknown option " + a + "; see the javadoc");
        }
      }
      return o;
    }
  }
}
