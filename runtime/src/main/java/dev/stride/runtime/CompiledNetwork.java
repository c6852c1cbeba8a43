package dev.stride.runtime;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.graph.Param;
import dev.stride.runtime.engine.Plan;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.PreparedLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A {@link NetworkDef} with its weights: what a generated {@code <Spec>Model} delegates to.
 *
 * <p>At construction the graph is planned once for its kernels (see {@link Plan}): each convolution
 * and linear layer is prepared (weights packed) with a BatchNorm that directly follows it folded
 * into its weights and bias, a following activation fused into its output pass, or a residual
 * {@code Add} (and the activation after it) fused there instead; a layer that feeds a {@code
 * Concat} writes its slice of the Concat's output; activations live in per-thread buffers assigned
 * by liveness. {@link #tensors()} and {@link #save} still give PyTorch's tensors as loaded.
 *
 * <p>Each weight is held once. A layer whose prepared form gives its weight back bit for bit
 * ({@link PreparedLayer#rebuildsWeight}: the packed GEMM panels, which only move values, and the
 * Winograd layers, which keep the weight they transform) holds the only copy, and {@link
 * #tensors()} rebuilds PyTorch's layout from it when asked; the original array is let go as soon as
 * its layer is prepared, and a safetensors file is read one tensor at a time as the layers ask for
 * them. Biases, BatchNorm's tensors and the weight of a layer that a BatchNorm was folded into
 * (folding does not invert exactly in float) stay as loaded.
 *
 * <p>Immutable after construction; {@link #forward} is safe to call from several threads at once:
 * the weights are never written after construction, and each thread runs in activation buffers of
 * its own, kept per thread (and per model) and reused, so a steady stream of calls allocates only
 * the arrays it returns (and a few pool task objects for a batch split over threads), or no arrays
 * with {@link #forward(float[], int, float[])}.
 */
public final class CompiledNetwork implements Model {
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Messages list at most this many problems of each kind, so a wholly wrong file stays readable.
   */
  private static final int MAX_PROBLEMS = 8;

  /** Fewest samples per chunk of a batch split over threads; see {@link Plan#MIN_CHUNK}. */
  static final int MIN_CHUNK = Plan.MIN_CHUNK;

  private final NetworkDef network;
  private final Map<String, int[]> shapes; // every tensor, in table order
  private final Map<String, float[]> kept; // the tensors no layer holds; never handed out
  private final Map<String, PreparedLayer> holders; // the layer holding each other weight
  private final Kernels kernels;
  private final boolean fuse; // false only for tests, which compare against the plain plan
  private final Plan plan;

  /** Where the tensors come from while the network is planned. */
  @FunctionalInterface
  private interface Source {
    /**
     * The values of tensor {@code name}, checked against the table, in a new array or one the
     * source gives up: the network may keep it.
     */
    float[] take(String name) throws IOException;
  }

  private CompiledNetwork(
      NetworkDef network, Map<String, int[]> shapes, Source source, Kernels kernels, boolean fuse)
      throws IOException {
    this.network = network;
    this.shapes = shapes;
    this.kernels = kernels;
    this.fuse = fuse;
    Map<String, float[]> held = new LinkedHashMap<>();
    Map<String, PreparedLayer> layers = new LinkedHashMap<>();
    Function<String, float[]> weights =
        name -> {
          if (!shapes.containsKey(name)) {
            return null; // an absent bias
          }
          PreparedLayer holder = layers.get(name);
          if (holder != null) {
            return holder.weight();
          }
          float[] data = held.get(name);
          if (data == null) {
            try {
              data = source.take(name);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            held.put(name, data);
          }
          return data;
        };
    BiConsumer<String, PreparedLayer> prepared =
        (name, layer) -> {
          if (layer.rebuildsWeight() && held.remove(name) != null) {
            layers.put(name, layer);
          }
        };
    try {
      this.plan = Plan.of(network.graph(), weights, prepared, kernels, fuse);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    Map<String, float[]> rest = new LinkedHashMap<>();
    for (String name : shapes.keySet()) {
      if (!layers.containsKey(name)) {
        float[] data = held.get(name);
        rest.put(name, data != null ? data : source.take(name));
      }
    }
    this.kept = Collections.unmodifiableMap(rest);
    this.holders = Collections.unmodifiableMap(layers);
  }

  /** {@code tensors}' arrays, each let go by the map as the network takes it. */
  private static Source from(Map<String, Tensor> tensors) {
    return name -> tensors.remove(name).data();
  }

  /** Weights drawn from PyTorch's default initialisation distributions, reproducible per seed. */
  public static CompiledNetwork random(NetworkDef network, long seed) {
    Map<String, int[]> expected = expectedShapes(network);
    // One generator, tensors drawn in table order: the same seed gives the same weights.
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Graph graph = network.graph();
    for (int i = 0; i < graph.nodes().size(); i++) {
      String path = graph.nodes().get(i).path();
      for (Param p : graph.nodes().get(i).kind().parameters(graph.inputShapes(i))) {
        int[] shape = p.shape().dims();
        Tensor t =
            p.init().random()
                ? uniform(random, shape, 1.0 / Math.sqrt(p.init().fanIn()))
                : filled(shape, p.init().fill());
        tensors.put(path + "." + p.suffix(), t);
      }
    }
    try {
      return build(network, expected, from(tensors), KernelProvider.kernels());
    } catch (IOException e) {
      throw new AssertionError("weights made in memory cannot fail to read", e);
    }
  }

  private static Tensor uniform(SplittableRandom random, int[] shape, double bound) {
    float[] data = new float[count(shape)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextDouble(-bound, bound);
    }
    return new Tensor(shape.clone(), data);
  }

  private static Tensor filled(int[] shape, float value) {
    float[] data = new float[count(shape)];
    Arrays.fill(data, value);
    return new Tensor(shape.clone(), data);
  }

  /**
   * Reads weights from a safetensors file or a {@code torch.save(model.state_dict())} checkpoint,
   * told apart by content, with the tensors named after the fields ({@code conv1.weight}).
   *
   * <p>For safetensors, names and shapes are checked against the header before any data is read, so
   * a file for another network fails fast and nothing large is allocated for it.
   *
   * @throws IOException naming the tensor and saying expected vs found, if the file does not fit
   */
  public static CompiledNetwork load(NetworkDef network, Path path) throws IOException {
    return load(network, path, WeightNames.fields());
  }

  /**
   * As {@link #load(NetworkDef, Path)}, with the file's keys mapped to fields by {@code names},
   * e.g. {@link WeightNames#sequential()} for a d2l {@code nn.Sequential} checkpoint ({@code
   * 0.weight}, {@code 3.weight}, ...).
   *
   * @throws IOException naming the tensor and saying expected vs found, or listing the expected and
   *     found keys, if the file does not fit
   */
  public static CompiledNetwork load(NetworkDef network, Path path, WeightNames names)
      throws IOException {
    Objects.requireNonNull(names, "names");
    if (names.equals(WeightNames.fields())
        && WeightsFile.detect(path) == WeightsFile.Format.SAFETENSORS) {
      return loadSafetensors(network, path);
    }
    Map<String, Tensor> tensors = WeightsFile.read(path, network, names);
    Map<String, int[]> expected = checked(network, tensors, path.toString());
    return build(network, expected, from(tensors), KernelProvider.kernels());
  }

  private static CompiledNetwork loadSafetensors(NetworkDef network, Path path) throws IOException {
    Map<String, int[]> expected = expectedShapes(network);
    Safetensors.Header header = Safetensors.readHeader(path);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    Map<String, String> dtypes = new LinkedHashMap<>();
    for (Safetensors.Entry e : header.entries()) {
      shapes.put(e.name(), e.shape());
      dtypes.put(e.name(), e.dtype());
    }
    checkFits(network, expected, shapes, dtypes, path.toString());
    try (Safetensors.Reader reader = new Safetensors.Reader(path)) {
      // Its own header, checked again: the file may have changed since it was first read.
      Map<String, Safetensors.Entry> entries = new LinkedHashMap<>();
      Map<String, int[]> found = new LinkedHashMap<>();
      Map<String, String> foundTypes = new LinkedHashMap<>();
      for (Safetensors.Entry e : reader.header().entries()) {
        entries.put(e.name(), e);
        found.put(e.name(), e.shape());
        foundTypes.put(e.name(), e.dtype());
      }
      checkFits(network, expected, found, foundTypes, path.toString());
      return build(
          network, expected, name -> reader.read(entries.get(name)), KernelProvider.kernels());
    }
  }

  /**
   * Weights from tensors named and shaped as in PyTorch's {@code state_dict()} (float32 values),
   * with the same checks as {@link #load}; the values are copied.
   *
   * @throws IOException naming the tensor and saying expected vs found, if the tensors do not fit
   */
  public static CompiledNetwork fromTensors(NetworkDef network, Map<String, Tensor> tensors)
      throws IOException {
    Map<String, int[]> expected = checked(network, tensors, "the given tensors");
    return build(
        network, expected, name -> tensors.get(name).data().clone(), KernelProvider.kernels());
  }

  /** The table's shapes, after checking that {@code tensors} fit them. */
  private static Map<String, int[]> checked(
      NetworkDef network, Map<String, Tensor> tensors, String source) throws IOException {
    Map<String, int[]> expected = expectedShapes(network);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getValue() == null) {
        throw new IOException("tensor '" + e.getKey() + "' is null");
      }
      shapes.put(e.getKey(), e.getValue().shape());
    }
    checkFits(network, expected, shapes, null, source);
    return expected;
  }

  /**
   * The same weights run by other kernels, e.g. to compare implementations; the network is planned
   * (and its weights prepared) again for them, from weights rebuilt one at a time.
   */
  public CompiledNetwork withKernels(Kernels kernels) {
    return replan(Objects.requireNonNull(kernels, "kernels"), fuse);
  }

  /** The same weights and kernels, one step per layer: nothing folded or fused (for tests). */
  CompiledNetwork unfused() {
    return replan(kernels, false);
  }

  private CompiledNetwork replan(Kernels kernels, boolean fuse) {
    try {
      return new CompiledNetwork(network, shapes, this::copy, kernels, fuse);
    } catch (IOException e) {
      throw new AssertionError("weights held in memory cannot fail to read", e);
    }
  }

  /** The names of the tensors held as loaded, beside the layers' own copies (for tests). */
  java.util.Set<String> keptTensors() {
    return kept.keySet();
  }

  /** The planned steps, named after their layers, e.g. {@code conv1+bn1+relu1} (for tests). */
  List<String> plan() {
    return plan.steps();
  }

  /** How many per-thread activation buffers the plan uses (for tests). */
  int buffers() {
    return plan.buffers();
  }

  /** The kernels this network runs on. */
  public Kernels kernels() {
    return kernels;
  }

  /**
   * A copy of the weights, in table order, with PyTorch's names and layouts: exactly what {@link
   * #save} writes.
   */
  public Map<String, Tensor> tensors() {
    Map<String, Tensor> copy = new LinkedHashMap<>();
    shapes.forEach((name, shape) -> copy.put(name, new Tensor(shape.clone(), copy(name))));
    return copy;
  }

  /** Tensor {@code name}'s values in PyTorch's layout, in a new array. */
  private float[] copy(String name) {
    float[] data = kept.get(name);
    return data != null ? data.clone() : holders.get(name).weight();
  }

  @Override
  public float[] forward(float[] input) {
    return forward(input, 1);
  }

  @Override
  public float[] forward(float[] input, int batch) {
    checkInput(input, batch);
    float[] output = new float[batch * network.output().size()];
    run(input, batch, output);
    return output;
  }

  /**
   * As {@link #forward(float[], int)}, writing the {@code batch} outputs back to back into the
   * first {@code batch * outputSize} floats of {@code output} instead of a new array; in the steady
   * state it allocates nothing.
   *
   * @throws IllegalArgumentException if {@code input.length != batch * inputSize}, {@code batch <
   *     1}, {@code output} is shorter than {@code batch * outputSize}, or is {@code input} itself
   */
  @Override
  public void forward(float[] input, int batch, float[] output) {
    checkInput(input, batch);
    Objects.requireNonNull(output, "output must not be null");
    long needed = (long) batch * network.output().size();
    if (output.length < needed) {
      throw new IllegalArgumentException(
          "output holds "
              + output.length
              + " floats, batch "
              + batch
              + " needs "
              + needed
              + " ("
              + batch
              + " x "
              + network.output()
              + ")");
    }
    if (output == input) {
      throw new IllegalArgumentException("output must not be the input array");
    }
    run(input, batch, output);
  }

  private void checkInput(float[] input, int batch) {
    Objects.requireNonNull(input, "input must not be null");
    Shape in = network.input();
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    long expected = (long) batch * in.size();
    if (input.length != expected) {
      throw new IllegalArgumentException(
          "expected "
              + expected
              + " floats ("
              + batch
              + " x "
              + in
              + ") for batch "
              + batch
              + ", got "
              + input.length);
    }
    long bufferLength = (long) batch * plan.largestSample();
    if (bufferLength > MAX_ARRAY) {
      throw new IllegalArgumentException(
          "batch "
              + batch
              + " needs "
              + bufferLength
              + " floats for one activation, more than a Java array holds; use smaller batches");
    }
  }

  /** How many pieces a batch is split into, one pool task each; see {@link Plan#chunks}. */
  int chunks(int batch) {
    return plan.chunks(batch);
  }

  private void run(float[] input, int batch, float[] output) {
    plan.run(input, batch, output);
  }

  @Override
  public void save(Path path) throws IOException {
    // One tensor at a time, so that saving needs no second copy of the whole network.
    Safetensors.write(
        path,
        shapes,
        name -> {
          float[] data = kept.get(name);
          return data != null ? data : holders.get(name).weight();
        });
  }

  @Override
  public NetworkDef network() {
    return network;
  }

  @Override
  public String toString() {
    return "CompiledNetwork["
        + network.name()
        + ", "
        + shapes.size()
        + " tensors, "
        + kernels.name()
        + " kernels]";
  }

  // ---- checking weights against the table ----

  /** Every tensor the graph needs, in PyTorch's state_dict order, with its shape. */
  private static Map<String, int[]> expectedShapes(NetworkDef network) {
    Graph graph = network.graph();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (int i = 0; i < graph.nodes().size(); i++) {
      String path = graph.nodes().get(i).path();
      for (Param p : graph.nodes().get(i).kind().parameters(graph.inputShapes(i))) {
        shapes.put(path + "." + p.suffix(), p.shape().dims());
      }
    }
    return shapes;
  }

  /**
   * Throws one {@link IOException} listing every tensor that is missing, unexpected, misshapen or
   * of an unreadable dtype.
   *
   * @param dtypes the dtype of each found tensor, or null when all are float32 already
   */
  private static void checkFits(
      NetworkDef network,
      Map<String, int[]> expected,
      Map<String, int[]> found,
      Map<String, String> dtypes,
      String source)
      throws IOException {
    List<String> wrong = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    for (Map.Entry<String, int[]> e : expected.entrySet()) {
      String name = e.getKey();
      int[] shape = found.get(name);
      if (shape == null) {
        missing.add(
            "missing tensor '" + name + "' (expected shape " + Arrays.toString(e.getValue()) + ")");
      } else if (!Arrays.equals(shape, e.getValue())) {
        wrong.add(
            "tensor '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + ", expected "
                + Arrays.toString(e.getValue()));
      } else if (dtypes != null && !isReadable(dtypes.get(name))) {
        wrong.add(
            "tensor '"
                + name
                + "' has dtype "
                + dtypes.get(name)
                + ", expected F32 (or F16, BF16, F64, which are converted)");
      }
    }
    for (String name : found.keySet()) {
      if (!expected.containsKey(name) && !isIgnored(network, name)) {
        unexpected.add("unexpected tensor '" + name + "'");
      }
    }
    if (wrong.isEmpty() && missing.isEmpty() && unexpected.isEmpty()) {
      return;
    }
    // Each kind of problem is capped on its own, so a wholly wrong file still shows both what is
    // missing and what is left over.
    List<String> problems = new ArrayList<>();
    capped(problems, wrong, "mismatched");
    capped(problems, missing, "missing");
    capped(problems, unexpected, "unexpected");
    StringBuilder message =
        new StringBuilder(network.name())
            .append(" weights from ")
            .append(source)
            .append(" do not fit: ")
            .append(String.join("; ", problems));
    if (!unexpected.isEmpty()) {
      message.append(". Expected exactly: ").append(String.join(", ", expected.keySet()));
    }
    throw new IOException(message.toString());
  }

  private static void capped(List<String> into, List<String> problems, String kind) {
    into.addAll(problems.subList(0, Math.min(problems.size(), MAX_PROBLEMS)));
    if (problems.size() > MAX_PROBLEMS) {
      into.add("and " + (problems.size() - MAX_PROBLEMS) + " more " + kind + " tensors");
    }
  }

  private static boolean isReadable(String dtype) {
    return dtype.equals("F32")
        || dtype.equals("F16")
        || dtype.equals("BF16")
        || dtype.equals("F64");
  }

  /**
   * A tensor PyTorch saves that plays no part at inference, as batch norm's {@code
   * num_batches_tracked}: its layer kind names it.
   */
  private static boolean isIgnored(NetworkDef network, String name) {
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return false;
    }
    String field = name.substring(0, dot);
    String suffix = name.substring(dot + 1);
    for (Node node : network.graph().nodes()) {
      if (node.path().equals(field) && node.kind().unreadSuffixes().contains(suffix)) {
        return true;
      }
    }
    return false;
  }

  private static int count(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Builds the network over tensors already checked against the graph. */
  private static CompiledNetwork build(
      NetworkDef network, Map<String, int[]> shapes, Source source, Kernels kernels)
      throws IOException {
    return new CompiledNetwork(network, Collections.unmodifiableMap(shapes), source, kernels, true);
  }
}
