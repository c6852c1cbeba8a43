package dev.stride.runtime;

import static dev.stride.runtime.CompiledNetworkTest.SMALL;
import static dev.stride.runtime.CompiledNetworkTest.pad;
import static dev.stride.runtime.CompiledNetworkTest.randoms;
import static dev.stride.runtime.CompiledNetworkTest.smallWithStatistics;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Parallel;
import dev.stride.runtime.kernel.Pool2dGeometry;
import dev.stride.runtime.kernel.ScalarKernels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link CompiledNetwork} plans a table (BatchNorm folding, activation fusion) and runs it in
 * reused buffers.
 *
 * <p>Folded and fused plans are compared with the plain one-step-per-layer plan within {@link
 * #RELATIVE} of the output's largest magnitude: folding rounds {@code w * gamma / sqrt(var + eps)}
 * to float once, where the plain plan rounds the convolution's result and then the normalisation.
 */
class CompiledNetworkPlanTest {
  static final double RELATIVE = 1e-5;

  @TempDir Path dir;

  /**
   * Every folding and fusion case: a bias-free convolution with Dropout before its BatchNorm, an
   * activation before a BatchNorm (which then cannot fold), an activation past a Flatten, a
   * bias-free linear layer with a BatchNorm1d, and layers nothing follows.
   */
  static final NetworkDef FUSIONS =
      NetworkDef.builder("Fusions", 2, 9, 8)
          .conv2d(
              "a",
              3,
              9,
              8,
              NetworkDef.kernel(3, 3),
              NetworkDef.stride(1, 1),
              pad(1),
              NetworkDef.dilation(1, 1),
              1,
              false)
          .dropout("dropA", 0.1)
          .batchNorm("bnA", 1e-5)
          .tanh("tanhA")
          .conv2d(
              "b",
              4,
              5,
              4,
              NetworkDef.kernel(1, 1),
              NetworkDef.stride(2, 2),
              pad(0),
              NetworkDef.dilation(1, 1),
              1,
              true)
          .relu("reluB")
          .batchNorm("bnB", 1e-3)
          .maxPool("pool", 4, 3, NetworkDef.kernel(2, 2), NetworkDef.stride(1, 1), pad(0))
          .conv2d(
              "c",
              5,
              2,
              1,
              NetworkDef.kernel(3, 3),
              NetworkDef.stride(1, 1),
              pad(0),
              NetworkDef.dilation(1, 1),
              1,
              true)
          .flatten("flat")
          .sigmoid("sigmoidC")
          .linear("fc", 7, false)
          .batchNorm("bnFc", 1e-5)
          .dropout("dropFc", 0.5)
          .relu("reluFc")
          .linear("out", 3, true)
          .softmax("softmax")
          .build();

  static CompiledNetwork withStatistics(NetworkDef network, long seed) throws IOException {
    return PlanFixtures.withStatistics(network, seed);
  }

  static void assertRelative(float[] expected, float[] actual, String what) {
    PlanFixtures.assertRelative(expected, actual, RELATIVE, what);
  }

  // ---- the plan ----

  @Test
  void smallFoldsBatchNormsAndFusesActivations() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    assertEquals(
        List.of(
            "conv1+bn1+relu1",
            "pool1",
            "conv2",
            "pool2",
            "tanh",
            "fc1+bn2+sigmoid",
            "fc2",
            "softmax"),
        net.plan());
    assertEquals(
        List.of(
            "conv1", "bn1", "relu1", "pool1", "conv2", "pool2", "tanh", "fc1", "bn2", "sigmoid",
            "fc2", "softmax"),
        net.unfused().plan());
    assertEquals(net.plan(), net.withKernels(ScalarKernels.INSTANCE).plan());
  }

  @Test
  void everyFoldingAndFusionCaseIsPlanned() throws IOException {
    assertEquals(
        List.of(
            "a+bnA+tanhA",
            "b+reluB",
            "bnB",
            "pool",
            "c+sigmoidC",
            "fc+bnFc+reluFc",
            "out",
            "softmax"),
        withStatistics(FUSIONS, 3).plan());
  }

  @Test
  void foldedAndFusedEqualUnfusedWithScalarKernels() throws IOException {
    for (CompiledNetwork loaded :
        new CompiledNetwork[] {smallWithStatistics(), withStatistics(FUSIONS, 3)}) {
      CompiledNetwork net = loaded.withKernels(ScalarKernels.INSTANCE);
      CompiledNetwork plain = net.unfused();
      int size = net.network().input().size();
      for (int batch : new int[] {1, 4}) {
        float[] x = randoms(new Random(batch), batch * size);
        assertRelative(plain.forward(x, batch), net.forward(x, batch), net + " batch " + batch);
      }
    }
  }

  @Test
  void foldedAndFusedEqualUnfusedWithThisJvmsKernels() throws IOException {
    // The vector kernels in the vector-kernels surefire run, the scalar ones otherwise.
    for (CompiledNetwork net :
        new CompiledNetwork[] {smallWithStatistics(), withStatistics(FUSIONS, 4)}) {
      assertEquals(KernelProvider.kernels(), net.kernels());
      float[] x = randoms(new Random(9), 3 * net.network().input().size());
      assertRelative(
          net.withKernels(ScalarKernels.INSTANCE).unfused().forward(x, 3),
          net.forward(x, 3),
          net.toString());
    }
  }

  @Test
  void foldingLeavesTheLoadedTensorsAndTheSavedFileAlone() throws IOException {
    Map<String, Tensor> original = withStatistics(FUSIONS, 5).tensors();
    CompiledNetwork net = CompiledNetwork.fromTensors(FUSIONS, original);
    net.forward(new float[FUSIONS.input().size()]);
    assertEquals(original, net.tensors());
    Path file = dir.resolve("fusions.safetensors");
    net.save(file);
    assertEquals(original, Safetensors.read(file, name -> true));
    assertEquals(original, net.withKernels(ScalarKernels.INSTANCE).tensors());
  }

  // ---- buffers ----

  @Test
  void forwardIntoTheCallersArrayWritesOnlyItsPrefix() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    int size = SMALL.input().size();
    float[] x = randoms(new Random(2), 3 * size);
    float[] copy = x.clone();
    float[] expected = net.forward(x, 3);
    float[] out = new float[expected.length + 4];
    Arrays.fill(out, -3f);
    net.forward(x, 3, out);
    assertArrayEquals(expected, Arrays.copyOf(out, expected.length));
    assertArrayEquals(new float[] {-3f, -3f, -3f, -3f}, Arrays.copyOfRange(out, 15, 19));
    assertArrayEquals(copy, x, "the input is never written");
  }

  @Test
  void forwardIntoRejectsShortOrAliasedOutputs() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    float[] x = new float[SMALL.input().size()];
    IllegalArgumentException shortOut =
        assertThrows(IllegalArgumentException.class, () -> net.forward(x, 1, new float[4]));
    assertTrue(shortOut.getMessage().contains("needs 5"), shortOut.getMessage());
    assertThrows(IllegalArgumentException.class, () -> net.forward(x, 1, x));
    assertThrows(NullPointerException.class, () -> net.forward(x, 1, null));
    // A network of in-place layers only: its output is a copy, never the caller's input.
    NetworkDef act = NetworkDef.builder("Act", 3).relu("relu").build();
    float[] in = {-1, 0, 2};
    float[] out = new float[3];
    CompiledNetwork.random(act, 1).forward(in, 1, out);
    assertArrayEquals(new float[] {0, 0, 2}, out);
    assertArrayEquals(new float[] {-1, 0, 2}, in);
  }

  /** d2l's LeNet: the network that chunked batches were made for (wide convs, 2x2 pools). */
  static final NetworkDef LENET =
      NetworkDef.builder("LeNet", 1, 28, 28)
          .conv2d(
              "conv1",
              6,
              28,
              28,
              NetworkDef.kernel(5, 5),
              NetworkDef.stride(1, 1),
              pad(2),
              NetworkDef.dilation(1, 1),
              1,
              true)
          .sigmoid("sig1")
          .avgPool("pool1", 14, 14, NetworkDef.kernel(2, 2), NetworkDef.stride(2, 2), pad(0), true)
          .conv2d(
              "conv2",
              16,
              10,
              10,
              NetworkDef.kernel(5, 5),
              NetworkDef.stride(1, 1),
              pad(0),
              NetworkDef.dilation(1, 1),
              1,
              true)
          .sigmoid("sig2")
          .avgPool("pool2", 5, 5, NetworkDef.kernel(2, 2), NetworkDef.stride(2, 2), pad(0), true)
          .flatten("flatten")
          .linear("fc1", 120, true)
          .sigmoid("sig3")
          .linear("fc2", 84, true)
          .sigmoid("sig4")
          .linear("fc3", 10, true)
          .build();

  /**
   * A batch large enough to be split into chunks, one pool task each, gives bit for bit what the
   * same batch gives run layer by layer on one thread: the chunking must not show in the results.
   */
  @Test
  void chunkedBatchesEqualOneThreadLayerByLayerBitForBit() throws IOException {
    assumeTrue(Parallel.threads() > 1, "batches are only chunked with more than one thread");
    for (CompiledNetwork net :
        new CompiledNetwork[] {smallWithStatistics(), CompiledNetwork.random(LENET, 3)}) {
      int size = net.network().input().size();
      int outSize = net.network().output().size();
      for (Kernels kernels : new Kernels[] {ScalarKernels.INSTANCE, KernelProvider.kernels()}) {
        CompiledNetwork model = net.withKernels(kernels);
        Random r = new Random(21);
        // Fewest for chunking, an odd size (uneven chunks), and more chunks than threads.
        for (int batch : new int[] {2 * CompiledNetwork.MIN_CHUNK, 37, 100}) {
          assertTrue(model.chunks(batch) > 1, "batch " + batch + " is chunked");
          float[] x = randoms(r, batch * size);
          float[] chunked = model.forward(x, batch);
          float[] whole = new float[batch * outSize];
          // Inside an unsplit task the network sees one thread: no chunks, every kernel inline.
          Parallel.forEachUnsplit(
              1,
              i -> {
                assertEquals(1, model.chunks(batch));
                model.forward(x, batch, whole);
              });
          assertArrayEquals(
              whole, chunked, net.network().name() + " " + kernels.name() + " batch " + batch);
        }
      }
    }
  }

  @Test
  void smallBatchesAndLargeActivationsAreNotChunked() throws IOException {
    CompiledNetwork net = CompiledNetwork.random(LENET, 3);
    assertEquals(1, net.chunks(1));
    assertEquals(1, net.chunks(CompiledNetwork.MIN_CHUNK));
    // Two activations of 8 samples of 1 x 256 x 256 floats are 4 MB, over the chunk budget.
    NetworkDef large =
        NetworkDef.builder("Large", 1, 256, 256)
            .conv2d(
                "conv",
                1,
                256,
                256,
                NetworkDef.kernel(1, 1),
                NetworkDef.stride(1, 1),
                pad(0),
                NetworkDef.dilation(1, 1),
                1,
                false)
            .build();
    assertEquals(1, CompiledNetwork.random(large, 1).chunks(1024));
  }

  @Test
  void buffersReusedAcrossGrowingAndShrinkingBatches() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    int size = SMALL.input().size();
    Random r = new Random(11);
    for (int batch : new int[] {1, 4, 2, 7, 1, 3}) {
      float[] x = randoms(r, batch * size);
      float[] together = net.forward(x, batch);
      for (int s = 0; s < batch; s++) {
        float[] alone = net.forward(Arrays.copyOfRange(x, s * size, (s + 1) * size));
        // Not bit for bit: a GEMM kernel blocks a batch differently from one sample (as PyTorch's
        // do), so sums are added in another order; within float rounding of the output's scale.
        assertArrayEquals(
            alone, Arrays.copyOfRange(together, s * 5, (s + 1) * 5), 1e-5f, "sample " + s);
      }
      // A fresh model, whose buffers have never held anything, agrees.
      assertArrayEquals(net.withKernels(net.kernels()).forward(x, batch), together);
    }
  }

  @Test
  void aNestedCallOnTheSameThreadDoesNotCorruptTheOuterOne() throws IOException {
    CompiledNetwork plain = smallWithStatistics().withKernels(ScalarKernels.INSTANCE);
    int size = SMALL.input().size();
    float[] outerInput = randoms(new Random(12), 2 * size);
    float[] innerInput = randoms(new Random(13), size);
    float[] outerExpected = plain.forward(outerInput, 2);
    float[] innerExpected = plain.forward(innerInput);

    // Kernels whose first ReLU calls forward on the same model, on the same thread, mid-pass.
    AtomicReference<CompiledNetwork> model = new AtomicReference<>();
    AtomicReference<float[]> innerResult = new AtomicReference<>();
    AtomicInteger reentries = new AtomicInteger();
    Kernels reentrant =
        new Delegating(ScalarKernels.INSTANCE) {
          @Override
          public void relu(float[] x, int length) {
            super.relu(x, length);
            if (reentries.getAndIncrement() == 0) {
              innerResult.set(model.get().forward(innerInput));
            }
          }
        };
    model.set(plain.withKernels(reentrant));
    float[] outer = model.get().forward(outerInput, 2);
    assertEquals(2, reentries.get(), "the nested call ran (and its own ReLU)");
    assertArrayEquals(innerExpected, innerResult.get());
    assertArrayEquals(outerExpected, outer);
    // Afterwards the thread's own buffers are free again and give the same results.
    assertArrayEquals(outerExpected, model.get().forward(outerInput, 2));
  }

  @Test
  void concurrentForwardsIntoOwnArraysGiveTheSameResultsAsAlone() throws Exception {
    // This JVM's kernels: the vector ones in the vector-kernels run.
    CompiledNetwork net = withStatistics(FUSIONS, 6);
    int size = FUSIONS.input().size();
    int inputs = 12;
    List<float[]> xs = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    Random r = new Random(14);
    for (int i = 0; i < inputs; i++) {
      int batch = 1 + i % 4;
      float[] x = randoms(r, batch * size);
      xs.add(x);
      expected.add(net.forward(x, batch));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Callable<Void>> tasks = new ArrayList<>();
      for (int thread = 0; thread < 6; thread++) {
        int offset = thread;
        tasks.add(
            () -> {
              float[] out = new float[4 * 3];
              for (int round = 0; round < 40; round++) {
                int i = (offset + round) % inputs;
                int batch = 1 + i % 4;
                if (round % 2 == 0) {
                  assertArrayEquals(expected.get(i), net.forward(xs.get(i), batch));
                } else {
                  net.forward(xs.get(i), batch, out);
                  assertArrayEquals(expected.get(i), Arrays.copyOf(out, batch * 3));
                }
              }
              return null;
            });
      }
      for (Future<Void> f : pool.invokeAll(tasks)) {
        f.get(); // rethrows a failed assertion
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Forwards every kernel to another implementation; tests override one. */
  private static class Delegating implements Kernels {
    private final Kernels k;

    Delegating(Kernels k) {
      this.k = k;
    }

    @Override
    public String name() {
      return "delegating";
    }

    @Override
    public void conv2d(
        float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {
      k.conv2d(input, n, g, weight, bias, output);
    }

    @Override
    public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {
      k.maxPool2d(input, n, g, output);
    }

    @Override
    public void avgPool2d(
        float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {
      k.avgPool2d(input, n, g, countIncludePad, output);
    }

    @Override
    public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {
      k.globalAvgPool(input, n, channels, spatial, output);
    }

    @Override
    public void batchNorm(
        float[] x,
        int n,
        int channels,
        int spatial,
        float[] mean,
        float[] var,
        float[] weight,
        float[] bias,
        double eps) {
      k.batchNorm(x, n, channels, spatial, mean, var, weight, bias, eps);
    }

    @Override
    public void relu(float[] x, int length) {
      k.relu(x, length);
    }

    @Override
    public void sigmoid(float[] x, int length) {
      k.sigmoid(x, length);
    }

    @Override
    public void tanh(float[] x, int length) {
      k.tanh(x, length);
    }

    @Override
    public void softmax(float[] x, int n, int features) {
      k.softmax(x, n, features);
    }

    @Override
    public void linear(
        float[] input,
        int n,
        int inFeatures,
        float[] weight,
        float[] bias,
        int outFeatures,
        float[] output) {
      k.linear(input, n, inFeatures, weight, bias, outFeatures, output);
    }
  }
}
