package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.kernel.NaiveReference;
import dev.stride.runtime.kernel.Pool2dGeometry;
import dev.stride.runtime.kernel.ScalarKernels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights, checks and the forward pass of {@link CompiledNetwork}. */
class CompiledNetworkTest {
  @TempDir Path dir;

  /**
   * Every layer kind but global pooling, with awkward settings: grouped, dilated, strided conv with
   * asymmetric padding; ceil-mode max pooling; average pooling without padding in its divisor.
   */
  static final NetworkDef SMALL =
      NetworkDef.builder("Small", 3, 13, 11)
          .conv2d(
              "conv1",
              6,
              6,
              10,
              NetworkDef.kernel(3, 3),
              NetworkDef.stride(2, 1),
              NetworkDef.padding(1, 0, 2, 1),
              NetworkDef.dilation(1, 2),
              3,
              true)
          .batchNorm("bn1", 1e-5)
          .relu("relu1")
          .maxPool("pool1", 4, 6, NetworkDef.kernel(3, 3), NetworkDef.stride(2, 2), pad(1))
          .conv2d(
              "conv2",
              4,
              4,
              6,
              NetworkDef.kernel(1, 1),
              NetworkDef.stride(1, 1),
              pad(0),
              NetworkDef.dilation(1, 1),
              1,
              false)
          .avgPool(
              "pool2",
              2,
              3,
              NetworkDef.kernel(2, 2),
              NetworkDef.stride(2, 2),
              NetworkDef.padding(1, 0, 1, 0),
              false)
          .tanh("tanh")
          .flatten("flatten")
          .linear("fc1", 10, true)
          .batchNorm("bn2", 1e-3)
          .dropout("drop", 0.5)
          .sigmoid("sigmoid")
          .linear("fc2", 5, false)
          .softmax("softmax")
          .build();

  static final List<String> SMALL_TENSORS =
      List.of(
          "conv1.weight",
          "conv1.bias",
          "bn1.weight",
          "bn1.bias",
          "bn1.running_mean",
          "bn1.running_var",
          "conv2.weight",
          "fc1.weight",
          "fc1.bias",
          "bn2.weight",
          "bn2.bias",
          "bn2.running_mean",
          "bn2.running_var",
          "fc2.weight");

  static int[] pad(int p) {
    return NetworkDef.padding(p, p, p, p);
  }

  static float[] randoms(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  /** SMALL with random weights and non-trivial batch-norm statistics. */
  static CompiledNetwork smallWithStatistics() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    Random r = new Random(5);
    for (String bn : new String[] {"bn1", "bn2"}) {
      for (String s : new String[] {"weight", "bias", "running_mean", "running_var"}) {
        Tensor old = t.get(bn + "." + s);
        float[] v = randoms(r, old.size());
        if (s.equals("running_var")) {
          for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i]) + 0.1f;
          }
        }
        t.put(bn + "." + s, new Tensor(old.shape(), v));
      }
    }
    return CompiledNetwork.fromTensors(SMALL, t);
  }

  // ---- random initialisation ----

  @Test
  void randomIsReproduciblePerSeedAndDiffersAcrossSeeds() {
    Map<String, Tensor> a = CompiledNetwork.random(SMALL, 42).tensors();
    assertEquals(a, CompiledNetwork.random(SMALL, 42).tensors());
    Map<String, Tensor> b = CompiledNetwork.random(SMALL, 43).tensors();
    assertNotEquals(a.get("conv1.weight"), b.get("conv1.weight"));
    assertNotEquals(a.get("fc2.weight"), b.get("fc2.weight"));
  }

  @Test
  void randomFollowsPyTorchDefaultInitialisation() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 7).tensors();
    // kaiming_uniform_(a = sqrt(5)) and the bias both give U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    assertUniform(t.get("conv1.weight"), 1 / Math.sqrt(1 * 3 * 3)); // (in/groups) * kh * kw
    assertUniform(t.get("conv1.bias"), 1 / Math.sqrt(9));
    assertUniform(t.get("conv2.weight"), 1 / Math.sqrt(6));
    assertUniform(t.get("fc1.weight"), 1 / Math.sqrt(24));
    assertUniform(t.get("fc1.bias"), 1 / Math.sqrt(24));
    assertUniform(t.get("fc2.weight"), 1 / Math.sqrt(10));
    for (String bn : new String[] {"bn1", "bn2"}) {
      assertConstant(t.get(bn + ".weight"), 1);
      assertConstant(t.get(bn + ".bias"), 0);
      assertConstant(t.get(bn + ".running_mean"), 0);
      assertConstant(t.get(bn + ".running_var"), 1);
    }
  }

  @Test
  void randomWeightsSpreadOverTheirWholeRange() {
    NetworkDef wide = NetworkDef.builder("Wide", 400).linear("fc", 100, true).build();
    float[] w = CompiledNetwork.random(wide, 3).tensors().get("fc.weight").data();
    double bound = 1 / Math.sqrt(400);
    double sum = 0;
    int low = 0;
    for (float v : w) {
      assertTrue(Math.abs(v) <= bound);
      sum += v;
      low += v < 0 ? 1 : 0;
    }
    // 40,000 draws from U(-b, b): the mean is within 4 standard errors of 0, the halves balance.
    assertEquals(0, sum / w.length, 4 * bound / Math.sqrt(3 * w.length));
    assertEquals(0.5, (double) low / w.length, 0.02);
  }

  static void assertUniform(Tensor t, double bound) {
    float max = 0;
    for (float v : t.data()) {
      assertTrue(Math.abs(v) <= (float) bound, v + " outside +-" + bound);
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(t.size() < 4 || max > bound / 2, "values hug zero: max " + max);
  }

  static void assertConstant(Tensor t, float value) {
    for (float v : t.data()) {
      assertEquals(value, v);
    }
  }

  // ---- tensors, save and load ----

  @Test
  void tensorsUsePyTorchNamesOrderAndLayouts() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    assertEquals(SMALL_TENSORS, List.copyOf(t.keySet()));
    assertArrayEquals(new int[] {6, 1, 3, 3}, t.get("conv1.weight").shape()); // (out, in/g, kh, kw)
    assertArrayEquals(new int[] {6}, t.get("bn1.running_var").shape());
    assertArrayEquals(new int[] {4, 6, 1, 1}, t.get("conv2.weight").shape());
    assertArrayEquals(new int[] {10, 24}, t.get("fc1.weight").shape()); // (out, in)
    assertArrayEquals(new int[] {10}, t.get("bn2.weight").shape());
  }

  @Test
  void tensorsIsACopy() {
    CompiledNetwork net = CompiledNetwork.random(SMALL, 1);
    float[] input = randoms(new Random(1), SMALL.input().size());
    float[] before = net.forward(input);
    net.tensors().get("conv1.weight").data()[0] = 1000f;
    assertArrayEquals(before, net.forward(input));
  }

  @Test
  void fromTensorsCopiesItsInput() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    CompiledNetwork net = CompiledNetwork.fromTensors(SMALL, t);
    float[] input = randoms(new Random(1), SMALL.input().size());
    float[] before = net.forward(input);
    t.get("fc2.weight").data()[0] = 1000f;
    assertArrayEquals(before, net.forward(input));
  }

  @Test
  void saveThenLoadGivesIdenticalWeightsAndOutputs() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    Path p = dir.resolve("small.safetensors");
    net.save(p);
    CompiledNetwork back = CompiledNetwork.load(SMALL, p);
    assertEquals(net.tensors(), back.tensors());
    assertEquals(net.tensors(), Safetensors.read(p));
    float[] input = randoms(new Random(2), 3 * SMALL.input().size());
    assertArrayEquals(net.forward(input, 3), back.forward(input, 3));
    assertSame(SMALL, back.network());
  }

  @Test
  void loadConvertsDtypesAndIgnoresNumBatchesTracked() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 9).tensors();
    // conv1.weight as BF16 (values rounded to bf16 first, so conversion is exact), fc1.bias as F64.
    float[] w = t.get("conv1.weight").data();
    for (int i = 0; i < w.length; i++) {
      w[i] = Float.intBitsToFloat(Float.floatToIntBits(w[i]) & 0xffff0000);
    }
    Map<String, String> dtypes = Map.of("conv1.weight", "BF16", "fc1.bias", "F64");
    Path p = dir.resolve("mixed.safetensors");
    writeMixed(p, t, dtypes, true);
    CompiledNetwork net = CompiledNetwork.load(SMALL, p);
    assertEquals(t, net.tensors());
  }

  /** A safetensors file with chosen dtypes per tensor, plus I64 num_batches_tracked if asked. */
  static void writeMixed(
      Path p, Map<String, Tensor> tensors, Map<String, String> dtypes, boolean batchesTracked)
      throws IOException {
    StringBuilder header = new StringBuilder("{");
    ByteBuffer data = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String dtype = dtypes.getOrDefault(e.getKey(), "F32");
      int begin = data.position();
      for (float v : e.getValue().data()) {
        switch (dtype) {
          case "F32" -> data.putFloat(v);
          case "F64" -> data.putDouble(v);
          case "BF16" -> data.putShort((short) (Float.floatToIntBits(v) >>> 16));
          case "I32" -> data.putInt((int) v);
          default -> throw new IllegalArgumentException(dtype);
        }
      }
      header.append(header.length() > 1 ? "," : "");
      header.append("\"").append(e.getKey()).append("\":{\"dtype\":\"").append(dtype);
      header.append("\",\"shape\":").append(Arrays.toString(e.getValue().shape()));
      header.append(",\"data_offsets\":[").append(begin).append(",").append(data.position());
      header.append("]}");
      if (batchesTracked && e.getKey().endsWith(".running_var")) {
        String bn = e.getKey().substring(0, e.getKey().indexOf('.'));
        int at = data.position();
        data.putLong(1234);
        header.append(",\"").append(bn).append(".num_batches_tracked\":{\"dtype\":\"I64\",");
        header.append("\"shape\":[],\"data_offsets\":[").append(at).append(",").append(at + 8);
        header.append("]}");
      }
    }
    header.append("}");
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer file = ByteBuffer.allocate(8 + h.length + data.position());
    file.order(ByteOrder.LITTLE_ENDIAN)
        .putLong(h.length)
        .put(h)
        .put(data.array(), 0, data.position());
    Files.write(p, file.array());
  }

  // ---- weights that do not fit ----

  static void assertMentions(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }

  @Test
  void missingTensorIsNamedWithItsExpectedShape() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    t.remove("fc1.weight");
    IOException e = assertThrows(IOException.class, () -> CompiledNetwork.fromTensors(SMALL, t));
    assertMentions(e, "Small weights", "missing tensor 'fc1.weight' (expected shape [10, 24])");
  }

  @Test
  void unexpectedTensorIsNamedAndTheExpectedOnesListed() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    t.put("fc3.weight", new Tensor(new int[] {1}, new float[1]));
    t.put("conv1.num_batches_tracked", new Tensor(new int[] {}, new float[1])); // not batch norm
    IOException e = assertThrows(IOException.class, () -> CompiledNetwork.fromTensors(SMALL, t));
    assertMentions(
        e,
        "unexpected tensor 'fc3.weight'",
        "unexpected tensor 'conv1.num_batches_tracked'",
        "Expected exactly: " + String.join(", ", SMALL_TENSORS));
  }

  @Test
  void wrongShapeSaysFoundAndExpected() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    t.put("conv1.weight", new Tensor(new int[] {6, 3, 3, 3}, new float[162]));
    t.put("fc2.weight", new Tensor(new int[] {24, 10}, new float[240])); // transposed
    IOException e = assertThrows(IOException.class, () -> CompiledNetwork.fromTensors(SMALL, t));
    assertMentions(
        e,
        "tensor 'conv1.weight' has shape [6, 3, 3, 3], expected [6, 1, 3, 3]",
        "tensor 'fc2.weight' has shape [24, 10], expected [5, 10]");
  }

  @Test
  void numBatchesTrackedIsIgnoredForBatchNorm() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    t.put("bn1.num_batches_tracked", new Tensor(new int[] {}, new float[] {5}));
    assertEquals(
        SMALL_TENSORS, List.copyOf(CompiledNetwork.fromTensors(SMALL, t).tensors().keySet()));
  }

  @Test
  void nullTensorIsAnIOException() {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    t.put("conv1.bias", null);
    assertMentions(
        assertThrows(IOException.class, () -> CompiledNetwork.fromTensors(SMALL, t)),
        "tensor 'conv1.bias' is null");
  }

  @Test
  void loadRejectsFilesThatDoNotFitBeforeReadingData() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(SMALL, 1).tensors();
    Path p = dir.resolve("i32.safetensors");
    writeMixed(p, t, Map.of("conv2.weight", "I32"), false);
    assertMentions(
        assertThrows(IOException.class, () -> CompiledNetwork.load(SMALL, p)),
        p.toString(),
        "tensor 'conv2.weight' has dtype I32, expected F32");

    NetworkDef other = NetworkDef.builder("Other", 24).linear("fc", 3, true).build();
    Path q = dir.resolve("other.safetensors");
    CompiledNetwork.random(other, 1).save(q);
    assertMentions(
        assertThrows(IOException.class, () -> CompiledNetwork.load(SMALL, q)),
        "missing tensor 'conv1.weight' (expected shape [6, 1, 3, 3])",
        "unexpected tensor 'fc.weight'",
        "and 6 more missing tensors");
  }

  @Test
  void loadOfCorruptedFilesOnlyEverThrowsIOException() throws IOException {
    NetworkDef tiny =
        NetworkDef.builder("Tiny", 2, 3, 3)
            .conv2d(
                "conv",
                2,
                2,
                2,
                NetworkDef.kernel(2, 2),
                NetworkDef.stride(1, 1),
                pad(0),
                NetworkDef.dilation(1, 1),
                1,
                true)
            .batchNorm("bn", 1e-5)
            .build();
    Path valid = dir.resolve("tiny.safetensors");
    CompiledNetwork.random(tiny, 1).save(valid);
    byte[] original = Files.readAllBytes(valid);
    Random r = new Random(99);
    Path p = dir.resolve("fuzz.safetensors");
    int loaded = 0;
    for (int trial = 0; trial < 300; trial++) {
      byte[] bytes = original.clone();
      for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
        bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
      }
      if (trial % 3 == 0) {
        bytes = Arrays.copyOf(bytes, r.nextInt(bytes.length + 1));
      }
      Files.write(p, bytes);
      try {
        CompiledNetwork.load(tiny, p);
        loaded++;
      } catch (IOException expected) {
        assertFalse(expected.getMessage().isBlank());
      } catch (RuntimeException | Error e) {
        throw new AssertionError("trial " + trial + " threw " + e, e);
      }
    }
    assertTrue(loaded < 300);
  }

  // ---- forward ----

  @Test
  void forwardMatchesTheLayersComposedByHand() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    Map<String, Tensor> t = net.tensors();
    Random r = new Random(3);
    int n = 2;
    float[] x = randoms(r, n * SMALL.input().size());

    float[] y =
        NaiveReference.conv2d(
            x,
            n,
            3,
            13,
            11,
            data(t, "conv1.weight"),
            data(t, "conv1.bias"),
            6,
            3,
            3,
            2,
            1,
            1,
            0,
            2,
            1,
            1,
            2,
            3);
    y = batchNorm(y, n, 6, 60, t, "bn1", 1e-5);
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.max(y[i], 0);
    }
    y =
        NaiveReference.maxPool2d(
            y, n * 6, 6, 10, new Pool2dGeometry(6, 6, 10, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1));
    y =
        NaiveReference.conv2d(
            y, n, 6, 4, 6, data(t, "conv2.weight"), null, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1);
    y =
        NaiveReference.avgPool2d(
            y, n * 4, 4, 6, new Pool2dGeometry(4, 4, 6, 2, 3, 2, 2, 2, 2, 1, 0, 1, 0), false);
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) Math.tanh(y[i]);
    }
    y = NaiveReference.linear(y, n, 24, data(t, "fc1.weight"), data(t, "fc1.bias"), 10);
    y = batchNorm(y, n, 10, 1, t, "bn2", 1e-3);
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) (1 / (1 + Math.exp(-y[i])));
    }
    y = NaiveReference.linear(y, n, 10, data(t, "fc2.weight"), null, 5);
    for (int s = 0; s < n; s++) {
      double sum = 0;
      for (int i = 0; i < 5; i++) {
        sum += Math.exp(y[s * 5 + i]);
      }
      for (int i = 0; i < 5; i++) {
        y[s * 5 + i] = (float) (Math.exp(y[s * 5 + i]) / sum);
      }
    }
    float[] actual = net.forward(x, n);
    assertEquals(10, actual.length);
    assertArrayEquals(y, actual, 1e-5f);
  }

  static float[] data(Map<String, Tensor> t, String name) {
    return t.get(name).data();
  }

  static float[] batchNorm(
      float[] x, int n, int c, int s, Map<String, Tensor> t, String bn, double eps) {
    return NaiveReference.batchNorm(
        x,
        n,
        c,
        s,
        data(t, bn + ".running_mean"),
        data(t, bn + ".running_var"),
        data(t, bn + ".weight"),
        data(t, bn + ".bias"),
        eps);
  }

  @Test
  void forwardWithKnownWeights() throws IOException {
    NetworkDef def =
        NetworkDef.builder("Known", 2, 1, 2)
            .conv2d(
                "conv",
                1,
                1,
                2,
                NetworkDef.kernel(1, 1),
                NetworkDef.stride(1, 1),
                pad(0),
                NetworkDef.dilation(1, 1),
                1,
                true)
            .globalAvgPool("gap")
            .flatten("flatten")
            .linear("fc", 2, true)
            .build();
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put(
        "conv.weight", new Tensor(new int[] {1, 2, 1, 1}, new float[] {1, 10})); // (out, in, 1, 1)
    t.put("conv.bias", new Tensor(new int[] {1}, new float[] {0.5f}));
    t.put("fc.weight", new Tensor(new int[] {2, 1}, new float[] {2, -1})); // (out, in)
    t.put("fc.bias", new Tensor(new int[] {2}, new float[] {1, 0}));
    CompiledNetwork net = CompiledNetwork.fromTensors(def, t);
    // channels (1, 2) and (3, 4): conv = 1*{1,2} + 10*{3,4} + 0.5 = {31.5, 42.5}; mean 37; fc.
    assertArrayEquals(new float[] {75, -37}, net.forward(new float[] {1, 2, 3, 4}));
  }

  @Test
  void forwardRejectsWrongLengthsNamingTheExpectedOne() {
    NetworkDef def = NetworkDef.builder("Big", 1, 224, 224).relu("relu").build();
    CompiledNetwork net = CompiledNetwork.random(def, 1);
    assertMentions(
        assertThrows(IllegalArgumentException.class, () -> net.forward(new float[100])),
        "expected 50176 floats (1 x [1, 224, 224]) for batch 1, got 100");
    assertMentions(
        assertThrows(IllegalArgumentException.class, () -> net.forward(new float[50176], 2)),
        "expected 100352 floats (2 x [1, 224, 224]) for batch 2, got 50176");
    assertMentions(
        assertThrows(IllegalArgumentException.class, () -> net.forward(new float[0], 0)),
        "batch must be at least 1, got 0");
    assertThrows(NullPointerException.class, () -> net.forward(null));
  }

  @Test
  void forwardNeverWritesTheCallersInput() {
    NetworkDef def = NetworkDef.builder("Act", 4).relu("relu").sigmoid("s").build();
    float[] input = {-1, 2, -3, 4};
    float[] out = CompiledNetwork.random(def, 1).forward(input);
    assertArrayEquals(new float[] {-1, 2, -3, 4}, input);
    assertEquals((float) (1 / (1 + Math.exp(-2))), out[1], 1e-6);
    assertEquals(0.5f, out[0]);
  }

  @Test
  void batchOfNEqualsNSingleForwards() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    int size = SMALL.input().size();
    int n = 5;
    float[] batch = randoms(new Random(4), n * size);
    float[] together = net.forward(batch, n);
    assertEquals(n * 5, together.length);
    for (int s = 0; s < n; s++) {
      float[] alone = net.forward(Arrays.copyOfRange(batch, s * size, (s + 1) * size));
      // Not bit for bit: a GEMM kernel blocks a batch differently from one sample (as PyTorch's
      // do), so sums are added in another order; within float rounding of the output's scale.
      assertArrayEquals(
          alone, Arrays.copyOfRange(together, s * 5, (s + 1) * 5), 1e-5f, "sample " + s);
    }
  }

  @Test
  void concurrentForwardsGiveTheSameResultsAsAlone() throws Exception {
    CompiledNetwork net = smallWithStatistics();
    int inputs = 16;
    List<float[]> xs = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    Random r = new Random(8);
    for (int i = 0; i < inputs; i++) {
      float[] x = randoms(r, (1 + i % 3) * SMALL.input().size());
      xs.add(x);
      expected.add(net.forward(x, 1 + i % 3));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Void>> tasks = new ArrayList<>();
      for (int thread = 0; thread < 8; thread++) {
        int offset = thread;
        tasks.add(
            () -> {
              for (int round = 0; round < 25; round++) {
                int i = (offset + round) % inputs;
                assertArrayEquals(expected.get(i), net.forward(xs.get(i), 1 + i % 3));
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

  @Test
  void withKernelsKeepsTheWeights() throws IOException {
    CompiledNetwork net = smallWithStatistics();
    CompiledNetwork scalar = net.withKernels(ScalarKernels.INSTANCE);
    assertEquals("scalar", scalar.kernels().name());
    float[] x = randoms(new Random(6), SMALL.input().size());
    // The same kernels again give the same bits; other kernels agree within float rounding.
    assertArrayEquals(net.forward(x), net.withKernels(net.kernels()).forward(x));
    float[] expected = scalar.forward(x);
    float[] actual = net.forward(x);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5, "output " + i);
    }
    assertEquals(net.tensors(), scalar.tensors());
  }

  /** The graph module checks each output against its kind's rule when the table is built. */
  @Test
  void inconsistentTablesAreRejected() {
    NetworkDef.Builder badConv =
        NetworkDef.builder("Bad", 1, 5, 5)
            .conv2d(
                "conv",
                1,
                4,
                4,
                NetworkDef.kernel(3, 3),
                NetworkDef.stride(1, 1),
                pad(0),
                NetworkDef.dilation(1, 1),
                1,
                true);
    assertMentions(
        assertThrows(IllegalArgumentException.class, badConv::build),
        "Bad.conv: output [1, 4, 4] should be [1, 3, 3]");
    NetworkDef.Builder badPool =
        NetworkDef.builder("Bad", 1, 5, 5)
            .maxPool("pool", 1, 1, NetworkDef.kernel(2, 2), NetworkDef.stride(2, 2), pad(0));
    assertMentions(
        assertThrows(IllegalArgumentException.class, badPool::build),
        "Bad.pool: output [1, 1, 1] should be [1, 2, 2]");
    NetworkDef.Builder badGroups =
        NetworkDef.builder("Bad", 3, 5, 5)
            .conv2d(
                "conv",
                4,
                5,
                5,
                NetworkDef.kernel(1, 1),
                NetworkDef.stride(1, 1),
                pad(0),
                NetworkDef.dilation(1, 1),
                2,
                true);
    assertMentions(
        assertThrows(IllegalArgumentException.class, badGroups::build),
        "Bad.conv: Conv2d groups 2 must divide in channels 3");
    assertMentions(
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NetworkDef.table(
                    "Bad",
                    new int[] {3, 5, 5},
                    "a ReLU -> [3, 5, 5]",
                    "b Add <- a, c -> [3, 5, 5]")),
        "Bad: row 1",
        "input 'c' is not an earlier node");
  }
}
