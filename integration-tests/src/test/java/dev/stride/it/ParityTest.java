package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The small reference networks, compiled by the real processor, against PyTorch's eval-mode output
 * for the same weights (committed {@code <net>.weights.safetensors}) and inputs.
 */
class ParityTest {
  /** PyTorch keeps a step counter in each BatchNorm; Stride ignores it. */
  static final Predicate<String> NOT_STEP_COUNTER = name -> !name.endsWith(".num_batches_tracked");

  /** A generated model class, adapted: its static members and its factories. */
  record Case(
      String name,
      long parameterCount,
      long multiplyAdds,
      Supplier<String> summary,
      Net.Loader loader,
      LongFunction<Net> random) {
    Reference reference() {
      return Reference.load(name);
    }

    Net load() throws IOException {
      return loader.load(reference().weights());
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> networks() {
    return Stream.of(
        new Case(
            "ConvOptions",
            ConvOptionsModel.PARAMETER_COUNT,
            ConvOptionsModel.MULTIPLY_ADDS,
            ConvOptionsModel::summary,
            path -> {
              ConvOptionsModel m = ConvOptionsModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              ConvOptionsModel m = ConvOptionsModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }),
        new Case(
            "PoolOptions",
            PoolOptionsModel.PARAMETER_COUNT,
            PoolOptionsModel.MULTIPLY_ADDS,
            PoolOptionsModel::summary,
            path -> {
              PoolOptionsModel m = PoolOptionsModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              PoolOptionsModel m = PoolOptionsModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }),
        new Case(
            "PoolPadding",
            NestedSpecs_PoolPaddingModel.PARAMETER_COUNT,
            NestedSpecs_PoolPaddingModel.MULTIPLY_ADDS,
            NestedSpecs_PoolPaddingModel::summary,
            path -> {
              NestedSpecs_PoolPaddingModel m = NestedSpecs_PoolPaddingModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              NestedSpecs_PoolPaddingModel m = NestedSpecs_PoolPaddingModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }),
        new Case(
            "NormAndActivations",
            NormAndActivationsModel.PARAMETER_COUNT,
            NormAndActivationsModel.MULTIPLY_ADDS,
            NormAndActivationsModel::summary,
            path -> {
              NormAndActivationsModel m = NormAndActivationsModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              NormAndActivationsModel m = NormAndActivationsModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }),
        new Case(
            "FlatMlp",
            NestedSpecs_FlatMlpModel.PARAMETER_COUNT,
            NestedSpecs_FlatMlpModel.MULTIPLY_ADDS,
            NestedSpecs_FlatMlpModel::summary,
            path -> {
              NestedSpecs_FlatMlpModel m = NestedSpecs_FlatMlpModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              NestedSpecs_FlatMlpModel m = NestedSpecs_FlatMlpModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }),
        new Case(
            "LeNet",
            LeNetModel.PARAMETER_COUNT,
            LeNetModel.MULTIPLY_ADDS,
            LeNetModel::summary,
            path -> {
              LeNetModel m = LeNetModel.load(path);
              return Net.of(m::forward, m::forward, m::save);
            },
            seed -> {
              LeNetModel m = LeNetModel.random(seed);
              return Net.of(m::forward, m::forward, m::save);
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void batchMatchesPyTorch(Case c) throws IOException {
    Reference ref = c.reference();
    float[] out = c.load().forward(ref.input, ref.batch);
    ref.assertMatches("forward(input, " + ref.batch + ")", ref.output, out);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void eachSampleAloneMatchesPyTorch(Case c) throws IOException {
    Reference ref = c.reference();
    Net net = c.load();
    for (int n = 0; n < ref.batch; n++) {
      float[] out = net.forward(ref.inputSample(n));
      ref.assertMatches("forward(sample " + n + ")", ref.outputSample(n), out);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void parameterCountIsPyTorchs(Case c) {
    assertEquals(c.reference().parameterCount(), c.parameterCount(), c.name() + ".PARAMETER_COUNT");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void multiplyAddsCountConvolutionsAndLinearLayers(Case c) {
    assertMultiplyAdds(c.reference(), c.multiplyAdds());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void summaryShowsPyTorchsShapes(Case c) {
    assertSummary(c.reference(), c.summary().get());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void saveWritesPyTorchsTensorsAndLoadsBack(Case c, @TempDir Path dir) throws IOException {
    Reference ref = c.reference();
    Net net = c.load();
    Path saved = dir.resolve(c.name() + ".safetensors");
    net.save(saved);

    Map<String, Tensor> original = Safetensors.read(ref.weights(), NOT_STEP_COUNTER);
    Map<String, Tensor> written = Safetensors.read(saved, NOT_STEP_COUNTER);
    assertEquals(ref.tensors(), new ArrayList<>(original.keySet()), "reference file names");
    assertEquals(
        original.keySet().stream().sorted().toList(),
        written.keySet().stream().sorted().toList(),
        "tensor names written by save()");
    for (String name : original.keySet()) {
      Tensor expected = original.get(name);
      Tensor actual = written.get(name);
      assertEquals(
          Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), name + " shape");
      assertTrue(Arrays.equals(expected.data(), actual.data()), name + " values changed by save");
    }

    Net reloaded = c.loader().load(saved);
    float[] before = net.forward(ref.input, ref.batch);
    ref.assertIdentical("after save and load", before, reloaded.forward(ref.input, ref.batch));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void wrongInputLengthIsRejectedWithTheExpectedLength(Case c) throws IOException {
    Reference ref = c.reference();
    Net net = c.load();
    int size = ref.inputSize;
    for (int wrong : new int[] {size - 1, size + 1, 2 * size}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> net.forward(new float[wrong]),
              "forward(float[" + wrong + "]) for input size " + size);
      assertMentions(e, size);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> net.forward(new float[2 * size - 1], 2),
            "forward(float[" + (2 * size - 1) + "], 2)");
    assertTrue(
        mentions(e, 2L * size) || mentions(e, size),
        "message should give the expected length "
            + 2 * size
            + " (2 x "
            + size
            + "): "
            + e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> net.forward(new float[0], 0), "forward(x, batch 0)");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void randomIsReproduciblePerSeed(Case c) {
    Reference ref = c.reference();
    float[] a = c.random().apply(42).forward(ref.input, ref.batch);
    float[] b = c.random().apply(42).forward(ref.input, ref.batch);
    float[] other = c.random().apply(43).forward(ref.input, ref.batch);
    ref.assertIdentical("random(42) twice", a, b);
    assertFalse(Arrays.equals(a, other), "random(42) and random(43) give the same outputs");
    for (float v : a) {
      assertTrue(Float.isFinite(v), "random(42) gives a non-finite output " + Arrays.toString(a));
    }
  }

  /**
   * PyTorch's defaults: conv and linear weights and biases uniform in {@code ±1/sqrt(fan_in)}
   * (kaiming_uniform with a = sqrt(5)); batch norm the identity with fresh statistics.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void randomFollowsPyTorchsDefaultInitialisation(Case c, @TempDir Path dir) throws IOException {
    Reference ref = c.reference();
    Path file = dir.resolve("random.safetensors");
    c.random().apply(7).save(file);
    Map<String, Tensor> tensors = Safetensors.read(file, NOT_STEP_COUNTER);
    assertEquals(
        ref.tensors().stream().sorted().toList(),
        tensors.keySet().stream().sorted().toList(),
        "tensor names of random(7)");
    for (String name : ref.tensors()) {
      String layer = name.substring(0, name.lastIndexOf('.'));
      float[] values = tensors.get(name).data();
      if (ref.tensors().contains(layer + ".running_var")) {
        float expected = name.endsWith(".weight") || name.endsWith(".running_var") ? 1f : 0f;
        for (float v : values) {
          assertEquals(expected, v, 0f, name + " of a fresh BatchNorm");
        }
        continue;
      }
      Tensor weight = tensors.get(layer + ".weight");
      int fanIn = weight.size() / weight.shape()[0];
      double bound = 1 / Math.sqrt(fanIn);
      double max = 0;
      double sum = 0;
      for (float v : values) {
        max = Math.max(max, Math.abs(v));
        sum += v;
      }
      assertTrue(max <= bound * (1 + 1e-6), name + ": |value| " + max + " > 1/sqrt(" + fanIn + ")");
      if (values.length >= 16) {
        assertTrue(max >= bound / 2, name + ": max |value| " + max + " for a bound of " + bound);
      }
      if (values.length >= 1000) {
        double mean = sum / values.length;
        double sigmaOfMean = bound / Math.sqrt(3.0 * values.length);
        assertTrue(Math.abs(mean) <= 5 * sigmaOfMean, name + ": mean " + mean + " is not about 0");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void concurrentForwardsGiveTheSequentialResult(Case c) throws Exception {
    Reference ref = c.reference();
    Net net = c.load();
    float[] expected = net.forward(ref.input, ref.batch);
    float[][] expectedSamples = new float[ref.batch][];
    for (int n = 0; n < ref.batch; n++) {
      expectedSamples[n] = net.forward(ref.inputSample(n));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        Callable<String> task =
            () -> {
              for (int i = 0; i < 25; i++) {
                int n = (thread + i) % ref.batch;
                if (!Arrays.equals(expectedSamples[n], net.forward(ref.inputSample(n)))) {
                  return "task " + thread + " iteration " + i + ": sample " + n + " differs";
                }
                if (!Arrays.equals(expected, net.forward(ref.input, ref.batch))) {
                  return "task " + thread + " iteration " + i + ": the batch differs";
                }
              }
              return null;
            };
        results.add(pool.submit(task));
      }
      for (Future<String> result : results) {
        String problem = result.get();
        if (problem != null) {
          fail(c.name() + ": concurrent forward " + problem);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // Shared with AlexNetParityTest.

  static void assertMultiplyAdds(Reference ref, long actual) {
    long withoutBias = ref.multiplyAdds();
    long withBias = withoutBias + ref.biasAdds();
    assertTrue(
        actual == withoutBias || actual == withBias,
        ref.name
            + ".MULTIPLY_ADDS = "
            + actual
            + ", expected "
            + withoutBias
            + " (convolutions and linear layers) or "
            + withBias
            + " (counting the bias additions too)");
  }

  /**
   * Each layer has a row, in order, holding PyTorch's output shape; the total parameter count
   * appears.
   */
  static void assertSummary(Reference ref, String summary) {
    assertNotNull(summary, "summary()");
    List<String> lines = summary.lines().toList();
    int row = -1;
    for (String layer : ref.layers()) {
      Pattern named = Pattern.compile("(?<![\\w.])" + Pattern.quote(layer) + "(?![\\w.])");
      int found = -1;
      for (int i = row + 1; i < lines.size(); i++) {
        if (named.matcher(lines.get(i)).find()) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        fail(ref.name + ": no summary row for " + layer + " after line " + row + " in\n" + summary);
      }
      row = found;
      String shape = ref.shape(layer);
      assertTrue(
          lines.get(row).contains(shape),
          ref.name
              + ": summary row of "
              + layer
              + " should show PyTorch's output shape "
              + shape
              + ":\n"
              + lines.get(row)
              + "\nin\n"
              + summary);
    }
    long params = ref.parameterCount();
    String grouped = String.format(Locale.ROOT, "%,d", params);
    assertTrue(
        summary.contains(grouped) || summary.contains(Long.toString(params)),
        ref.name + ": summary should give the total " + grouped + " parameters:\n" + summary);
  }

  static void assertMentions(IllegalArgumentException e, long length) {
    assertTrue(
        mentions(e, length),
        "message should give the expected length " + length + ": " + e.getMessage());
  }

  private static boolean mentions(Exception e, long number) {
    String message = e.getMessage();
    if (message == null) {
      return false;
    }
    // The number alone, plain or grouped: not part of a longer number such as 9690 or 1,969.
    Pattern p =
        Pattern.compile(
            "(?<!\\d)(?<!\\d,)("
                + number
                + "|"
                + Pattern.quote(String.format(Locale.ROOT, "%,d", number))
                + ")(?!\\d)(?!,\\d)");
    return p.matcher(message).find();
  }
}
