package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed network, d2l's AlexNet, against PyTorch. Its 46.8 M weights are not committed: this test
 * and {@code tools/make_reference.py} compute them from the same formula ({@link #formulaTensor}),
 * write them with the runtime's safetensors writer, and load them as a user would.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlexNetParityTest {
  private Reference ref;
  private Map<String, Tensor> weights;
  private AlexNetModel model;

  @BeforeAll
  void loadFormulaWeights(@TempDir Path dir) throws IOException {
    ref = Reference.load("AlexNet");
    weights = formulaWeights(ref);
    Path file = dir.resolve("alexnet.safetensors");
    Safetensors.write(file, weights);
    model = AlexNetModel.load(file);
  }

  /**
   * The i-th element (0-based, row-major) of a tensor whose salt s is its 0-based position in the
   * state_dict, in a layer with fan-in f ({@code in/groups * kh * kw} or {@code in_features}; a
   * bias uses its layer's f):
   *
   * <pre>
   *   q     = i mod 10007
   *   h     = (31*q*q + 7919*q + 104729*s) mod 10007    exact in long: below 2^42
   *   u     = h / 10007.0                               double
   *   value = (float) ((2*u - 1) * sqrt(k / f))         double arithmetic, one rounding
   * </pre>
   *
   * with k = 6 for weights and k = 1 for biases. Bit-identical to {@code formula_tensor} in {@code
   * tools/make_reference.py}.
   */
  static Tensor formulaTensor(int[] shape, int fanIn, int salt, int k) {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    float[] data = new float[n];
    double bound = Math.sqrt((double) k / fanIn);
    for (int i = 0; i < n; i++) {
      long q = i % 10007;
      long h = (31 * q * q + 7919 * q + 104729L * salt) % 10007;
      double u = h / 10007.0;
      data[i] = (float) ((2 * u - 1) * bound);
    }
    return new Tensor(shape, data);
  }

  /** Every state_dict tensor in PyTorch's order, which gives the salts. */
  static Map<String, Tensor> formulaWeights(Reference ref) {
    Map<String, Tensor> weights = new LinkedHashMap<>();
    int fanIn = 0;
    int salt = 0;
    for (String name : ref.tensors()) {
      int[] shape = parseShape(ref.tensorShape(name));
      if (name.endsWith(".weight")) {
        fanIn = 1;
        for (int d = 1; d < shape.length; d++) {
          fanIn *= shape[d];
        }
        weights.put(name, formulaTensor(shape, fanIn, salt, 6));
      } else if (name.endsWith(".bias")) {
        weights.put(name, formulaTensor(shape, fanIn, salt, 1));
      } else {
        throw new IllegalStateException("no formula for " + name);
      }
      salt++;
    }
    return weights;
  }

  private static int[] parseShape(String shape) {
    String inner = shape.substring(1, shape.length() - 1);
    return Arrays.stream(inner.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }

  @Test
  void formulaMatchesPythons() {
    for (String name : ref.tensors()) {
      float[] data = weights.get(name).data();
      for (String probe : ref.properties.getProperty("probe." + name).split(",")) {
        String[] indexValue = probe.split(":");
        int i = Integer.parseInt(indexValue[0]);
        float expected = Float.parseFloat(indexValue[1]);
        assertEquals(expected, data[i], 0f, name + "[" + i + "] from the formula");
      }
    }
  }

  @Test
  void batchMatchesPyTorch() {
    ref.assertMatches("forward(input, 2)", ref.output, model.forward(ref.input, ref.batch));
  }

  @Test
  void eachSampleAloneMatchesPyTorch() {
    for (int n = 0; n < ref.batch; n++) {
      float[] out = model.forward(ref.inputSample(n));
      ref.assertMatches("forward(sample " + n + ")", ref.outputSample(n), out);
    }
  }

  @Test
  void parameterCountIsPyTorchsAndD2ls() {
    assertEquals(46_764_746L, ref.parameterCount(), "PyTorch's count in AlexNet.properties");
    assertEquals(ref.parameterCount(), AlexNetModel.PARAMETER_COUNT, "PARAMETER_COUNT");
  }

  @Test
  void multiplyAddsCountConvolutionsAndLinearLayers() {
    ParityTest.assertMultiplyAdds(ref, AlexNetModel.MULTIPLY_ADDS);
  }

  @Test
  void summaryShowsPyTorchsShapes() {
    String summary = AlexNetModel.summary();
    ParityTest.assertSummary(ref, summary);
    assertTrue(summary.contains("[96, 54, 54]"), summary);
    assertTrue(summary.contains("[256, 5, 5]"), summary);
  }

  @Test
  void saveWritesTheLoadedTensorsAndLoadsBack(@TempDir Path dir) throws IOException {
    Path saved = dir.resolve("saved.safetensors");
    model.save(saved);
    Map<String, Tensor> written = Safetensors.read(saved, ParityTest.NOT_STEP_COUNTER);
    assertEquals(
        new ArrayList<>(weights.keySet()).stream().sorted().toList(),
        written.keySet().stream().sorted().toList(),
        "tensor names written by save()");
    for (Map.Entry<String, Tensor> e : weights.entrySet()) {
      assertEquals(e.getValue(), written.get(e.getKey()), e.getKey() + " after save");
    }
    written = null; // let the 190 MB go before loading a second model
    float[] first = model.forward(ref.inputSample(0));
    float[] again = AlexNetModel.load(saved).forward(ref.inputSample(0));
    ref.assertIdentical("after save and load", first, again);
  }

  @Test
  void wrongInputLengthIsRejectedWithTheExpectedLength() {
    int size = 224 * 224;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.forward(new float[28 * 28]));
    ParityTest.assertMentions(e, size);
  }
}
