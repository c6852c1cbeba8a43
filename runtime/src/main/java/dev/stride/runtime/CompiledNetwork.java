package dev.stride.runtime;

import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Parallel;
import dev.stride.runtime.kernel.Pool2dGeometry;
import dev.stride.runtime.kernel.PreparedLayer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A {@link NetworkDef} with its weights: what a generated {@code <Spec>Model} delegates to.
 *
 * <p>At construction the table is planned once into steps for its kernels: each convolution and
 * linear layer is prepared (weights packed) with a BatchNorm that directly follows it folded into
 * its weights and bias, and a following ReLU, Sigmoid or Tanh (past any Dropout or Flatten) fused
 * into its output pass. {@link #tensors()} and {@link #save} still give PyTorch's tensors as
 * loaded.
 *
 * <p>Immutable after construction; {@link #forward} is safe to call from several threads at once:
 * the weights are never written after construction, and each thread runs in activation buffers of
 * its own, kept per thread (and per model) and reused, so a steady stream of calls allocates only
 * the arrays it returns (and a few pool task objects for a batch split over threads, about 200
 * bytes), or no arrays with {@link #forward(float[], int, float[])}. A thread holds on to buffers
 * for its largest batch so far, two activations of the largest layer each.
 *
 * <p>A large batch of a small network is not run layer by layer but in chunks (see {@link
 * #chunks}): each pool worker runs the whole plan over a few consecutive samples at a time, in its
 * own buffers, so a batch costs one hand-off to the pool instead of one per layer, and a chunk's
 * activations stay in its core's L2 instead of streaming a whole batch's (LeNet's first activation
 * at batch 256 is 4.8 MB) through memory between layers. The results are the same bits either way.
 */
public final class CompiledNetwork implements Model {
  private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * Messages list at most this many problems of each kind, so a wholly wrong file stays readable.
   */
  private static final int MAX_PROBLEMS = 8;

  private final NetworkDef network;
  private final Map<String, Tensor> tensors; // table order; the arrays are never handed out
  private final Kernels kernels;
  private final boolean fuse; // false only for tests, which compare against the plain plan
  private final List<Step> steps;
  private final int lastOutOfPlace; // index of the last step that writes a new array, or -1
  private final int largestSample; // floats in the largest activation of one sample
  private final int chunkLimit; // most samples whose two activations fit CHUNK_BYTES

  /**
   * Fewest samples per chunk in {@link #runChunks}. At least 4, so that the vector linear layer
   * takes its batch path (it runs batches of 1-3 through another kernel, whose sums are added in
   * another order), and a chunk's results are bit for bit those of the whole batch.
   */
  static final int MIN_CHUNK = 8;

  /**
   * Samples per chunk in {@link #runChunks}, at most. LeNet at batch 256 on this 2-core AVX-512
   * machine, JDK 17, with the machine shared with other work (load average ~3; medians of 9
   * interleaved 1 s rounds in one JVM): 47,900 images/s layer by layer, 55,400 in chunks of 16. In
   * a quieter run chunks of 8, 16 and 32 were within noise of each other; 16 keeps 8 chunks per
   * thread for the pool to balance when another process takes a core.
   */
  static final int CHUNK = 16;

  /**
   * Bytes of a chunk's two activation buffers, at most: a quarter of this machine's 2 MB L2 each,
   * so that the chunk's layers and its weights stay there. LeNet: 16 samples x 4,704 floats x 2
   * buffers = 600 KB; AlexNet's 290,400-float activations never fit, so it runs layer by layer.
   */
  static final long CHUNK_BYTES = 1 << 20;

  /** Per thread, so concurrent calls never share an activation. */
  private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

  private CompiledNetwork(
      NetworkDef network, Map<String, Tensor> tensors, Kernels kernels, boolean fuse) {
    this.network = network;
    this.tensors = tensors;
    this.kernels = kernels;
    this.fuse = fuse;
    this.steps = plan(network, tensors, kernels, fuse);
    int last = -1;
    for (int i = 0; i < steps.size(); i++) {
      if (!steps.get(i).inPlace()) {
        last = i;
      }
    }
    this.lastOutOfPlace = last;
    int largest = network.input().size();
    for (LayerDef layer : network.layers()) {
      largest = Math.max(largest, layer.out().size());
    }
    this.largestSample = largest;
    this.chunkLimit = (int) Math.min(Integer.MAX_VALUE, CHUNK_BYTES / (8L * largest));
  }

  /** Weights drawn from PyTorch's default initialisation distributions, reproducible per seed. */
  public static CompiledNetwork random(NetworkDef network, long seed) {
    Map<String, int[]> expected = expectedShapes(network);
    // One generator, tensors drawn in table order: the same seed gives the same weights.
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (LayerDef layer : network.layers()) {
      String name = layer.name();
      if (layer instanceof LayerDef.Conv2d || layer instanceof LayerDef.Linear) {
        // kaiming_uniform_(a = sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and
        // nn.Conv2d / nn.Linear draw their bias from the same range.
        int[] weightShape = expected.get(name + ".weight");
        int fanIn = 1;
        for (int i = 1; i < weightShape.length; i++) {
          fanIn *= weightShape[i];
        }
        double bound = 1.0 / Math.sqrt(fanIn);
        tensors.put(name + ".weight", uniform(random, weightShape, bound));
        int[] biasShape = expected.get(name + ".bias");
        if (biasShape != null) {
          tensors.put(name + ".bias", uniform(random, biasShape, bound));
        }
      } else if (layer instanceof LayerDef.BatchNorm) {
        int[] shape = expected.get(name + ".weight");
        tensors.put(name + ".weight", filled(shape, 1f));
        tensors.put(name + ".bias", filled(shape, 0f));
        tensors.put(name + ".running_mean", filled(shape, 0f));
        tensors.put(name + ".running_var", filled(shape, 1f));
      }
    }
    return build(network, tensors, KernelProvider.kernels());
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
    return fromTensors(network, WeightsFile.read(path, network, names));
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
    Map<String, Tensor> read = Safetensors.read(path, expected::containsKey);
    // Checked again: the file may have changed since its header was read.
    checkFits(network, expected, shapesOf(read), null, path.toString());
    return build(network, inOrder(expected, read), KernelProvider.kernels());
  }

  /**
   * Weights from tensors named and shaped as in PyTorch's {@code state_dict()} (float32 values),
   * with the same checks as {@link #load}; the values are copied.
   *
   * @throws IOException naming the tensor and saying expected vs found, if the tensors do not fit
   */
  public static CompiledNetwork fromTensors(NetworkDef network, Map<String, Tensor> tensors)
      throws IOException {
    Map<String, int[]> expected = expectedShapes(network);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getValue() == null) {
        throw new IOException("tensor '" + e.getKey() + "' is null");
      }
      shapes.put(e.getKey(), e.getValue().shape());
    }
    checkFits(network, expected, shapes, null, "the given tensors");
    Map<String, Tensor> copies = new LinkedHashMap<>();
    for (String name : expected.keySet()) {
      Tensor t = tensors.get(name);
      copies.put(name, new Tensor(t.shape().clone(), t.data().clone()));
    }
    return build(network, copies, KernelProvider.kernels());
  }

  /**
   * The same weights run by other kernels, e.g. to compare implementations; the network is planned
   * (and its weights prepared) again for them.
   */
  public CompiledNetwork withKernels(Kernels kernels) {
    return new CompiledNetwork(network, tensors, Objects.requireNonNull(kernels, "kernels"), fuse);
  }

  /** The same weights and kernels, one step per layer: nothing folded or fused (for tests). */
  CompiledNetwork unfused() {
    return new CompiledNetwork(network, tensors, kernels, false);
  }

  /** The planned steps, named after their layers, e.g. {@code conv1+bn1+relu1} (for tests). */
  List<String> plan() {
    List<String> names = new ArrayList<>();
    for (Step step : steps) {
      names.add(step.name());
    }
    return names;
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
    tensors.forEach((name, t) -> copy.put(name, new Tensor(t.shape().clone(), t.data().clone())));
    return copy;
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
    long bufferLength = (long) batch * largestSample;
    if (bufferLength > MAX_ARRAY) {
      throw new IllegalArgumentException(
          "batch "
              + batch
              + " needs "
              + bufferLength
              + " floats for one activation, more than a Java array holds; use smaller batches");
    }
  }

  /**
   * Runs the steps from {@code input} to {@code output}: for a large enough batch of a small enough
   * network, as {@link #chunks} independent runs of the whole plan over consecutive samples, one
   * pool task each; otherwise layer by layer over the whole batch, each kernel spreading its own
   * work over the pool.
   */
  private void run(float[] input, int batch, float[] output) {
    int chunks = chunks(batch);
    if (chunks > 1) {
      runChunks(input, batch, output, chunks);
      return;
    }
    Buffers own = buffers.get();
    // A second call on this thread while the first is still running (a Kernels implementation
    // calling back, or a pool thread that takes another call's tasks inside a task) must not reuse
    // the buffers the first is working in: it gets fresh ones, the only allocation in that rare
    // case.
    boolean nested = own.busy;
    Buffers buf = nested ? new Buffers() : own;
    own.busy = true;
    try {
      runSteps(input, batch, output, buf);
    } finally {
      if (!nested) {
        own.busy = false;
      }
    }
  }

  /**
   * How many pieces {@link #run} splits a batch into: 1 (layer by layer) unless every piece gets at
   * least {@link #MIN_CHUNK} samples and a piece's activations fit {@link #CHUNK_BYTES}; then
   * pieces of about {@link #CHUNK} samples, at least one per thread.
   */
  int chunks(int batch) {
    int threads = Parallel.threads();
    if (threads == 1 || chunkLimit < MIN_CHUNK || batch < threads * MIN_CHUNK) {
      return 1;
    }
    int size = Math.min(CHUNK, chunkLimit);
    int chunks = Math.max(threads, (batch + size - 1) / size);
    return Math.min(chunks, batch / MIN_CHUNK);
  }

  /**
   * Runs the whole plan over {@code chunks} runs of consecutive samples, one pool task each, in
   * that task's thread's buffers; every kernel inside runs inline (see {@link
   * Parallel#forEachUnsplit}). A sample's result does not depend on the split: the kernels compute
   * each sample independently, and given at least {@link #MIN_CHUNK} samples they take the same
   * paths as for the whole batch (the scalar kernels compute every sample alike at any batch).
   */
  private void runChunks(float[] input, int batch, float[] output, int chunks) {
    int inSize = network.input().size();
    int outSize = network.output().size();
    Parallel.forEachUnsplit(
        chunks,
        c -> {
          int from = (int) ((long) batch * c / chunks);
          int n = (int) ((long) batch * (c + 1) / chunks) - from;
          Buffers own = buffers.get();
          boolean nested = own.busy; // as in run: a worker may be inside a call of its own
          Buffers buf = nested ? new Buffers() : own;
          own.busy = true;
          try {
            float[] in = buf.input(n * inSize);
            System.arraycopy(input, from * inSize, in, 0, n * inSize);
            float[] out = buf.output(n * outSize);
            runSteps(in, n, out, buf);
            System.arraycopy(out, 0, output, from * outSize, n * outSize);
          } finally {
            if (!nested) {
              own.busy = false;
            }
          }
        });
  }

  /**
   * Runs the steps from {@code input} to {@code output}, alternating between {@code buf}'s two
   * buffers; the last step that writes a new array writes straight into {@code output}, and the
   * in-place steps after it work there. {@code input} is read, never written: an in-place step that
   * would run on it runs on a copy.
   */
  private void runSteps(float[] input, int batch, float[] output, Buffers buf) {
    int length = batch * largestSample;
    float[] current = input;
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      if (step.inPlace()) {
        if (current == input) {
          float[] copy = i > lastOutOfPlace ? output : buf.first(length);
          System.arraycopy(input, 0, copy, 0, batch * network.input().size());
          current = copy;
        }
        step.op().run(current, current, batch);
      } else {
        float[] next =
            i == lastOutOfPlace
                ? output
                : current == buf.first ? buf.second(length) : buf.first(length);
        step.op().run(current, next, batch);
        current = next;
      }
    }
    if (current != output) { // a table with no steps at all: the output is the input
      System.arraycopy(current, 0, output, 0, batch * network.output().size());
    }
  }

  /** One thread's activation buffers for one model, grown to the largest batch seen. */
  private static final class Buffers {
    private static final float[] EMPTY = {};
    float[] first = EMPTY;
    float[] second = EMPTY;
    float[] input = EMPTY; // a chunk's samples (see runChunks)
    float[] output = EMPTY;
    boolean busy;

    float[] input(int length) {
      return input = atLeast(input, length);
    }

    float[] output(int length) {
      return output = atLeast(output, length);
    }

    float[] first(int length) {
      return first = atLeast(first, length);
    }

    float[] second(int length) {
      return second = atLeast(second, length);
    }

    /** {@code a}, or a new array of {@code length} floats if {@code a} is shorter. */
    private static float[] atLeast(float[] a, int length) {
      return a.length < length ? new float[length] : a;
    }
  }

  @Override
  public void save(Path path) throws IOException {
    Safetensors.write(path, tensors);
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
        + tensors.size()
        + " tensors, "
        + kernels.name()
        + " kernels]";
  }

  // ---- checking weights against the table ----

  /** Every tensor the table needs, in PyTorch's state_dict order, with its shape. */
  private static Map<String, int[]> expectedShapes(NetworkDef network) {
    checkTable(network);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (LayerDef layer : network.layers()) {
      String name = layer.name();
      if (layer instanceof LayerDef.Conv2d) {
        LayerDef.Conv2d c = (LayerDef.Conv2d) layer;
        int outChannels = c.out().channels();
        shapes.put(
            name + ".weight",
            new int[] {outChannels, c.in().channels() / c.groups(), c.kernelH(), c.kernelW()});
        if (c.bias()) {
          shapes.put(name + ".bias", new int[] {outChannels});
        }
      } else if (layer instanceof LayerDef.Linear) {
        LayerDef.Linear l = (LayerDef.Linear) layer;
        shapes.put(name + ".weight", new int[] {l.out().size(), l.in().size()});
        if (l.bias()) {
          shapes.put(name + ".bias", new int[] {l.out().size()});
        }
      } else if (layer instanceof LayerDef.BatchNorm) {
        int[] perChannel = {layer.in().channels()};
        shapes.put(name + ".weight", perChannel);
        shapes.put(name + ".bias", perChannel.clone());
        shapes.put(name + ".running_mean", perChannel.clone());
        shapes.put(name + ".running_var", perChannel.clone());
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

  /** PyTorch saves {@code num_batches_tracked} for batch norm; it plays no part at inference. */
  private static boolean isIgnored(NetworkDef network, String name) {
    if (!name.endsWith(NUM_BATCHES_TRACKED)) {
      return false;
    }
    String field = name.substring(0, name.length() - NUM_BATCHES_TRACKED.length());
    for (LayerDef layer : network.layers()) {
      if (layer instanceof LayerDef.BatchNorm && layer.name().equals(field)) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, int[]> shapesOf(Map<String, Tensor> tensors) {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    tensors.forEach((name, t) -> shapes.put(name, t.shape()));
    return shapes;
  }

  private static Map<String, Tensor> inOrder(Map<String, int[]> expected, Map<String, Tensor> all) {
    Map<String, Tensor> ordered = new LinkedHashMap<>();
    for (String name : expected.keySet()) {
      ordered.put(name, all.get(name));
    }
    return ordered;
  }

  private static int count(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  // ---- compiling the table into steps ----

  /** One step's work: reads {@code src}, writes {@code dst} (the same array when in place). */
  @FunctionalInterface
  private interface Op {
    void run(float[] src, float[] dst, int batch);
  }

  /**
   * One step of the plan.
   *
   * @param name the layers it runs, e.g. {@code conv1+bn1+relu1}
   */
  private record Step(String name, boolean inPlace, Op op) {}

  /** Builds the checked network over tensors already checked against the table. */
  private static CompiledNetwork build(
      NetworkDef network, Map<String, Tensor> tensors, Kernels kernels) {
    return new CompiledNetwork(network, Collections.unmodifiableMap(tensors), kernels, true);
  }

  /**
   * The steps for the table, prepared for {@code kernels}. With {@code fuse}, a convolution or
   * linear layer takes in a BatchNorm that directly follows it (past Dropout, the identity) by
   * folding it into its weights and bias, and then a ReLU, Sigmoid or Tanh (past Dropout and
   * Flatten, which move no data) as its fused activation: one pass over the activation instead of
   * three. Layers that move no data get no step.
   */
  private static List<Step> plan(
      NetworkDef network, Map<String, Tensor> tensors, Kernels kernels, boolean fuse) {
    List<LayerDef> layers = network.layers();
    List<Step> steps = new ArrayList<>();
    int i = 0;
    while (i < layers.size()) {
      LayerDef layer = layers.get(i++);
      if (!(layer instanceof LayerDef.Conv2d || layer instanceof LayerDef.Linear)) {
        Step step = step(layer, tensors, kernels);
        if (step != null) {
          steps.add(step);
        }
        continue;
      }
      String name = layer.name();
      float[] weight = data(tensors, name + ".weight");
      float[] bias = data(tensors, name + ".bias");
      Activation activation = Activation.NONE;
      if (fuse) {
        int next = skip(layers, i, false);
        if (next < layers.size() && layers.get(next) instanceof LayerDef.BatchNorm) {
          LayerDef.BatchNorm bn = (LayerDef.BatchNorm) layers.get(next);
          float[][] folded = fold(weight, bias, bn, tensors);
          weight = folded[0];
          bias = folded[1];
          name += "+" + bn.name();
          i = next + 1;
        }
        next = skip(layers, i, true);
        if (next < layers.size() && activationOf(layers.get(next)) != Activation.NONE) {
          activation = activationOf(layers.get(next));
          name += "+" + layers.get(next).name();
          i = next + 1;
        }
      }
      PreparedLayer prepared;
      if (layer instanceof LayerDef.Conv2d) {
        prepared =
            kernels.prepareConv2d(convGeometry((LayerDef.Conv2d) layer), weight, bias, activation);
      } else {
        prepared =
            kernels.prepareLinear(layer.in().size(), layer.out().size(), weight, bias, activation);
      }
      steps.add(new Step(name, false, (src, dst, n) -> prepared.run(src, n, dst)));
    }
    return List.copyOf(steps);
  }

  /** The first index from {@code from} that is not a Dropout (nor, if asked, a Flatten). */
  private static int skip(List<LayerDef> layers, int from, boolean flatten) {
    int i = from;
    while (i < layers.size()
        && (layers.get(i) instanceof LayerDef.Dropout
            || (flatten && layers.get(i) instanceof LayerDef.Flatten))) {
      i++;
    }
    return i;
  }

  private static Activation activationOf(LayerDef layer) {
    if (layer instanceof LayerDef.ReLU) {
      return Activation.RELU;
    } else if (layer instanceof LayerDef.Sigmoid) {
      return Activation.SIGMOID;
    } else if (layer instanceof LayerDef.Tanh) {
      return Activation.TANH;
    }
    return Activation.NONE;
  }

  /**
   * A convolution's or linear layer's weights and bias with the eval-mode BatchNorm {@code bn} that
   * follows it folded in, per output channel {@code c}: {@code s = gamma / sqrt(var + eps)}, {@code
   * w' = w * s}, {@code b' = (b - mean) * s + beta} (b = 0 without a bias), in double. New arrays;
   * the loaded tensors are untouched, so {@link #tensors()} still gives PyTorch's.
   *
   * @return {@code {w', b'}}
   */
  private static float[][] fold(
      float[] weight, float[] bias, LayerDef.BatchNorm bn, Map<String, Tensor> tensors) {
    String name = bn.name();
    float[] gamma = data(tensors, name + ".weight");
    float[] beta = data(tensors, name + ".bias");
    float[] mean = data(tensors, name + ".running_mean");
    float[] var = data(tensors, name + ".running_var");
    int channels = gamma.length; // the layer's output channels (or features), as the table checks
    int perChannel = weight.length / channels; // (OC, C/g, KH, KW) or (OF, F): rows per channel
    float[] w = new float[weight.length];
    float[] b = new float[channels];
    for (int c = 0; c < channels; c++) {
      double scale = gamma[c] / Math.sqrt(var[c] + bn.eps());
      for (int k = c * perChannel, end = k + perChannel; k < end; k++) {
        w[k] = (float) (weight[k] * scale);
      }
      double b0 = bias == null ? 0.0 : bias[c];
      b[c] = (float) ((b0 - mean[c]) * scale + beta[c]);
    }
    return new float[][] {w, b};
  }

  private static float[] data(Map<String, Tensor> tensors, String name) {
    Tensor t = tensors.get(name);
    return t == null ? null : t.data();
  }

  /** The step for one layer on its own, or null for layers that move no data (flatten, dropout). */
  private static Step step(LayerDef layer, Map<String, Tensor> tensors, Kernels k) {
    String name = layer.name();
    Shape in = layer.in();
    if (layer instanceof LayerDef.MaxPool p) {
      Pool2dGeometry g = poolGeometry(p);
      return new Step(name, false, (src, dst, n) -> k.maxPool2d(src, n, g, dst));
    } else if (layer instanceof LayerDef.AvgPool p) {
      Pool2dGeometry g = poolGeometry(p);
      boolean includePad = p.countIncludePad();
      return new Step(name, false, (src, dst, n) -> k.avgPool2d(src, n, g, includePad, dst));
    } else if (layer instanceof LayerDef.GlobalAvgPool) {
      int channels = in.channels();
      int spatial = in.height() * in.width();
      return new Step(
          name, false, (src, dst, n) -> k.globalAvgPool(src, n, channels, spatial, dst));
    } else if (layer instanceof LayerDef.BatchNorm) {
      double eps = ((LayerDef.BatchNorm) layer).eps();
      int channels = in.channels();
      int spatial = in.height() * in.width();
      float[] weight = data(tensors, name + ".weight");
      float[] bias = data(tensors, name + ".bias");
      float[] mean = data(tensors, name + ".running_mean");
      float[] var = data(tensors, name + ".running_var");
      return new Step(
          name,
          true,
          (src, dst, n) -> k.batchNorm(src, n, channels, spatial, mean, var, weight, bias, eps));
    } else if (layer instanceof LayerDef.ReLU) {
      int size = in.size();
      return new Step(name, true, (src, dst, n) -> k.relu(src, n * size));
    } else if (layer instanceof LayerDef.Sigmoid) {
      int size = in.size();
      return new Step(name, true, (src, dst, n) -> k.sigmoid(src, n * size));
    } else if (layer instanceof LayerDef.Tanh) {
      int size = in.size();
      return new Step(name, true, (src, dst, n) -> k.tanh(src, n * size));
    } else if (layer instanceof LayerDef.Softmax) {
      int features = in.size();
      return new Step(name, true, (src, dst, n) -> k.softmax(src, n, features));
    } else if (layer instanceof LayerDef.Flatten || layer instanceof LayerDef.Dropout) {
      return null; // (C, H, W) and (C*H*W) share one contiguous layout; dropout is the identity
    }
    throw new AssertionError("unknown layer " + layer);
  }

  private static Conv2dGeometry convGeometry(LayerDef.Conv2d c) {
    return new Conv2dGeometry(
        c.in().channels(),
        c.in().height(),
        c.in().width(),
        c.out().channels(),
        c.out().height(),
        c.out().width(),
        c.kernelH(),
        c.kernelW(),
        c.strideH(),
        c.strideW(),
        c.padTop(),
        c.padLeft(),
        c.dilationH(),
        c.dilationW(),
        c.groups());
  }

  private static Pool2dGeometry poolGeometry(LayerDef.Pool2d p) {
    Shape in = p.in();
    return new Pool2dGeometry(
        in.channels(),
        in.height(),
        in.width(),
        p.out().height(),
        p.out().width(),
        p.kernelH(),
        p.kernelW(),
        p.strideH(),
        p.strideW(),
        p.padTop(),
        p.padBottom(),
        p.padLeft(),
        p.padRight());
  }

  // ---- checking the table itself ----

  /**
   * Checks that each layer's input is the previous layer's output and that its sizes obey PyTorch's
   * arithmetic, so a table built by hand (or by a buggy generator) fails here, not mid-forward.
   */
  private static void checkTable(NetworkDef network) {
    Shape current = network.input();
    for (LayerDef layer : network.layers()) {
      String name = network.name() + "." + layer.name();
      Shape in = layer.in();
      Shape out = layer.out();
      if (!in.equals(current)) {
        throw new IllegalArgumentException(
            name + ": input " + in + " is not the previous output " + current);
      }
      if (layer instanceof LayerDef.Conv2d) {
        LayerDef.Conv2d c = (LayerDef.Conv2d) layer;
        requireSpatial(name, in, out);
        convGeometry(c); // checks positivity and groups
        checkPaddings(name, c.padTop(), c.padBottom(), c.padLeft(), c.padRight());
        int oh =
            floorOut(
                in.height(), c.padTop() + c.padBottom(), c.dilationH(), c.kernelH(), c.strideH());
        int ow =
            floorOut(
                in.width(), c.padLeft() + c.padRight(), c.dilationW(), c.kernelW(), c.strideW());
        if (out.height() != oh || out.width() != ow) {
          throw new IllegalArgumentException(
              name + ": output " + out + " should be " + oh + " x " + ow + " for input " + in);
        }
      } else if (layer instanceof LayerDef.Pool2d p) {
        requireSpatial(name, in, out);
        poolGeometry(p); // checks positivity
        checkPoolOut(
            name,
            "height",
            in.height(),
            out.height(),
            p.kernelH(),
            p.strideH(),
            p.padTop(),
            p.padBottom());
        checkPoolOut(
            name,
            "width",
            in.width(),
            out.width(),
            p.kernelW(),
            p.strideW(),
            p.padLeft(),
            p.padRight());
        if (out.channels() != in.channels()) {
          throw new IllegalArgumentException(name + ": pooling cannot change channels " + in);
        }
      } else if (layer instanceof LayerDef.GlobalAvgPool) {
        requireSpatial(name, in, out);
        if (!out.equals(new Shape(in.channels(), 1, 1))) {
          throw new IllegalArgumentException(name + ": output " + out + " should be (C, 1, 1)");
        }
      } else if (layer instanceof LayerDef.Linear || layer instanceof LayerDef.Softmax) {
        if (!in.isFlat() || !out.isFlat()) {
          throw new IllegalArgumentException(name + ": needs a flat (F) input, not " + in);
        }
        if (layer instanceof LayerDef.Softmax && !out.equals(in)) {
          throw new IllegalArgumentException(name + ": output " + out + " should be " + in);
        }
      } else if (layer instanceof LayerDef.Flatten) {
        if (!out.isFlat() || out.size() != in.size()) {
          throw new IllegalArgumentException(name + ": output " + out + " should be " + in.size());
        }
      } else if (!out.equals(in)) { // batch norm, activations, dropout
        throw new IllegalArgumentException(name + ": output " + out + " should equal input " + in);
      }
      current = out;
    }
  }

  private static void requireSpatial(String name, Shape in, Shape out) {
    if (in.isFlat() || out.isFlat()) {
      throw new IllegalArgumentException(name + ": needs a (C, H, W) input, not " + in);
    }
  }

  private static void checkPaddings(String name, int... paddings) {
    for (int p : paddings) {
      if (p < 0) {
        throw new IllegalArgumentException(
            name + ": negative padding " + Arrays.toString(paddings));
      }
    }
  }

  /**
   * PyTorch's {@code floor((n + pad - dilation*(k-1) - 1) / s) + 1}, or 0 if it is not positive.
   */
  private static int floorOut(int n, int pad, int dilation, int k, int s) {
    long span = (long) n + pad - (long) dilation * (k - 1) - 1;
    return span < 0 ? 0 : (int) (span / s + 1);
  }

  /** Pooling output must be PyTorch's floor- or ceil-mode size. */
  private static void checkPoolOut(
      String name, String dimension, int n, int out, int k, int s, int before, int after) {
    int floor = floorOut(n, before + after, 1, k, s);
    long span = (long) n + before + after - k;
    int ceil = span < 0 ? 0 : (int) ((span + s - 1) / s + 1);
    if (ceil > 0 && (long) (ceil - 1) * s >= (long) n + before) {
      ceil--; // PyTorch drops a last window that would start in the bottom/right padding
    }
    if (out < 1 || (out != floor && out != ceil)) {
      throw new IllegalArgumentException(
          name
              + ": output "
              + dimension
              + " "
              + out
              + " should be "
              + floor
              + (ceil != floor ? " (or " + ceil + " in ceil mode)" : "")
              + " for input "
              + n);
    }
  }
}
