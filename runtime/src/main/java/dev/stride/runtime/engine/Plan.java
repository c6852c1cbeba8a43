package dev.stride.runtime.engine;

import dev.stride.graph.Graph;
import dev.stride.graph.Node;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Parallel;
import dev.stride.runtime.kernel.PreparedLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A graph planned for one set of kernels (see {@link Planner}): its steps, in order, and the
 * buffers they work in. Immutable and shared; {@link #run} is safe from several threads at once,
 * each working in buffers of its own, kept per thread (and per plan) and reused, so that a steady
 * stream of calls allocates none.
 *
 * <p>A large batch of a small network is not run step by step over the whole batch but in chunks
 * (see {@link #chunks}): each pool worker runs every step over a few consecutive samples at a time,
 * in its own buffers, so a batch costs one hand-off to the pool instead of one per step, and a
 * chunk's activations stay in its core's cache. The results are the same bits either way.
 */
public final class Plan {
  /**
   * Fewest samples per chunk. At least 4, so that the vector linear layer takes its batch path (it
   * runs batches of 1-3 through another kernel, whose sums are added in another order), and a
   * chunk's results are bit for bit those of the whole batch.
   */
  public static final int MIN_CHUNK = 8;

  /** Samples per chunk, at most: enough chunks per thread for the pool to balance. */
  public static final int CHUNK = 16;

  /** Bytes of a chunk's input, output and buffers, at most: so that they stay in a core's L2. */
  public static final long CHUNK_BYTES = 1 << 20;

  private final List<Step> steps;
  private final int[] bufferSizes;
  private final int inputSize;
  private final int outputSize;
  private final int largestSample;
  private final int chunkLimit;

  /** Per thread, so concurrent calls never share an activation. */
  private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

  Plan(Graph graph, List<Step> steps, int[] bufferSizes) {
    this.steps = steps;
    this.bufferSizes = bufferSizes;
    this.inputSize = Planner.size(graph.input());
    this.outputSize = Planner.size(graph.output());
    int largest = inputSize;
    for (Node node : graph.nodes()) {
      largest = Math.max(largest, Planner.size(node.out()));
    }
    this.largestSample = largest;
    long perSample = (long) inputSize + outputSize;
    for (int size : bufferSizes) {
      perSample += size;
    }
    this.chunkLimit = (int) Math.min(Integer.MAX_VALUE, CHUNK_BYTES / (4L * perSample));
  }

  /**
   * The plan for {@code graph} on {@code kernels}, with each tensor read by its key ({@code
   * conv1.weight}; null for an absent bias) in PyTorch's layout; the arrays are not modified and
   * may be kept. With {@code fuse} false, one step per node: nothing folded or fused.
   */
  public static Plan of(
      Graph graph, Function<String, float[]> weights, Kernels kernels, boolean fuse) {
    return Planner.plan(graph, weights, null, kernels, fuse);
  }

  /**
   * As {@link #of(Graph, Function, Kernels, boolean)}, with the arrays handed over, telling {@code
   * prepared} each convolution or linear layer as soon as it is prepared from its weight unchanged
   * (nothing folded into it), by the weight's key. A layer that {@link PreparedLayer#rebuildsWeight
   * rebuilds its weight} holds it from then on, possibly in the very array it was given: the caller
   * drops its own reference and reads the weight from the layer.
   */
  public static Plan of(
      Graph graph,
      Function<String, float[]> weights,
      BiConsumer<String, PreparedLayer> prepared,
      Kernels kernels,
      boolean fuse) {
    return Planner.plan(graph, weights, prepared, kernels, fuse);
  }

  /** The steps, named after their nodes, e.g. {@code conv1+bn1+relu1}. */
  public List<String> steps() {
    List<String> names = new ArrayList<>();
    for (Step step : steps) {
      names.add(step.name);
    }
    return names;
  }

  /** How many per-thread buffers the steps share, and so how many activations live at once. */
  public int buffers() {
    return bufferSizes.length;
  }

  /** Floats in the largest activation of one sample, input included. */
  public int largestSample() {
    return largestSample;
  }

  /**
   * Runs {@code batch} samples from {@code input} into the first {@code batch * outputSize} floats
   * of {@code output}; the caller has checked the lengths. {@code input} is never written.
   */
  public void run(float[] input, int batch, float[] output) {
    int chunks = chunks(batch);
    if (chunks > 1) {
      runChunks(input, batch, output, chunks);
      return;
    }
    Workspace own = workspaces.get();
    // A second call on this thread while the first is still running (a Kernels implementation
    // calling back, or a pool thread that takes another call's tasks inside a task) must not reuse
    // the buffers the first is working in: it gets fresh ones, the only allocation in that case.
    boolean nested = own.busy;
    Workspace ws = nested ? new Workspace() : own;
    own.busy = true;
    try {
      runSteps(input, batch, output, ws);
    } finally {
      if (!nested) {
        own.busy = false;
      }
    }
  }

  /**
   * How many pieces {@link #run} splits a batch into: 1 (step by step) unless every piece gets at
   * least {@link #MIN_CHUNK} samples and a piece's arrays fit {@link #CHUNK_BYTES}; then pieces of
   * about {@link #CHUNK} samples, at least one per thread.
   */
  public int chunks(int batch) {
    int threads = Parallel.threads();
    if (threads == 1 || chunkLimit < MIN_CHUNK || batch < threads * MIN_CHUNK) {
      return 1;
    }
    int size = Math.min(CHUNK, chunkLimit);
    int chunks = Math.max(threads, (batch + size - 1) / size);
    return Math.min(chunks, batch / MIN_CHUNK);
  }

  /**
   * Runs every step over {@code chunks} runs of consecutive samples, one pool task each, in that
   * task's thread's buffers; every kernel inside runs inline (see {@link Parallel#forEachUnsplit}).
   * The kernels compute each sample independently, and given at least {@link #MIN_CHUNK} samples
   * they take the same paths as for the whole batch.
   */
  private void runChunks(float[] input, int batch, float[] output, int chunks) {
    Parallel.forEachUnsplit(
        chunks,
        c -> {
          int from = (int) ((long) batch * c / chunks);
          int n = (int) ((long) batch * (c + 1) / chunks) - from;
          Workspace own = workspaces.get();
          boolean nested = own.busy; // as in run: a worker may be inside a call of its own
          Workspace ws = nested ? new Workspace() : own;
          own.busy = true;
          try {
            ws.chunkInput = Workspace.atLeast(ws.chunkInput, n * inputSize);
            System.arraycopy(input, from * inputSize, ws.chunkInput, 0, n * inputSize);
            ws.chunkOutput = Workspace.atLeast(ws.chunkOutput, n * outputSize);
            runSteps(ws.chunkInput, n, ws.chunkOutput, ws);
            System.arraycopy(ws.chunkOutput, 0, output, from * outputSize, n * outputSize);
          } finally {
            if (!nested) {
              own.busy = false;
            }
          }
        });
  }

  private void runSteps(float[] input, int batch, float[] output, Workspace ws) {
    Frame frame = ws.frame;
    frame.input = input;
    frame.output = output;
    if (frame.buffers == null) {
      frame.buffers = new float[bufferSizes.length][];
    }
    for (int b = 0; b < bufferSizes.length; b++) {
      frame.buffers[b] = Workspace.atLeast(frame.buffers[b], batch * bufferSizes[b]);
    }
    try {
      for (Step step : steps) {
        step.run(frame, batch);
      }
    } finally {
      frame.input = null; // the caller's arrays are not kept
      frame.output = null;
    }
  }

  /** One thread's buffers for one plan, grown to the largest batch seen. */
  private static final class Workspace {
    private static final float[] EMPTY = {};
    final Frame frame = new Frame();
    float[] chunkInput = EMPTY;
    float[] chunkOutput = EMPTY;
    boolean busy;

    /** {@code a}, or a new array of {@code length} floats if {@code a} is null or shorter. */
    static float[] atLeast(float[] a, int length) {
      return a == null || a.length < length ? new float[length] : a;
    }
  }
}
