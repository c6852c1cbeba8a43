package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FormulaWeights} against the values {@code tools/make_block_reference.py} computed in
 * Python: a wrong bit here would show up later as a parity failure of a whole network.
 */
class FormulaWeightsTest {
  static Stream<String> networks() {
    return Stream.of(
        "ResidualMlp", "D2lResNet18", "D2lGoogLeNet", "D2lDenseNet", "ResNet18", "MobileNetV2");
  }

  @Test
  void formulaMatchesPythonBitForBit() throws IOException {
    Properties p = new Properties();
    try (InputStream in =
        FormulaWeightsTest.class.getResourceAsStream("/reference/blocks/formula.properties")) {
      p.load(in);
    }
    int cases = 0;
    for (int n = 0; p.getProperty("case." + n + ".key") != null; n++, cases++) {
      String key = p.getProperty("case." + n + ".key");
      assertEquals(
          Long.parseLong(p.getProperty("case." + n + ".fnv1a")),
          Integer.toUnsignedLong(FormulaWeights.fnv1a(key)),
          "fnv1a(\"" + key + "\")");
      double center = Double.parseDouble(p.getProperty("case." + n + ".center"));
      double half = Double.parseDouble(p.getProperty("case." + n + ".half"));
      String[] probes = p.getProperty("case." + n + ".values").split(",");
      int last = Integer.parseInt(probes[probes.length - 1].split(":")[0]);
      float[] values = FormulaWeights.values(key, last + 1, center, half);
      for (String probe : probes) {
        String[] iv = probe.split(":");
        int i = Integer.parseInt(iv[0]);
        assertEquals(
            Float.floatToRawIntBits(Float.parseFloat(iv[1])),
            Float.floatToRawIntBits(values[i]),
            "\"" + key + "\"[" + i + "]: python " + iv[1] + ", java " + values[i]);
      }
    }
    assertTrue(cases >= 5, "formula.properties holds " + cases + " cases");
  }

  /** Each network's weights and inputs at the indices the script recorded ({@code probe.*}). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void networkWeightsAndInputsMatchPython(String name) {
    Reference ref = Reference.loadFormula(name);
    Map<String, Tensor> tensors = FormulaWeights.tensors(ref.manifest(), ref.weightGain());
    int checked = 0;
    for (String key : ref.properties.stringPropertyNames()) {
      if (!key.startsWith("probe.")) {
        continue;
      }
      String tensor = key.substring("probe.".length());
      float[] data;
      if (tensor.startsWith("input#")) {
        int n = Integer.parseInt(tensor.substring("input#".length()));
        data = ref.inputSample(n);
      } else {
        data = tensors.get(tensor).data();
      }
      for (String probe : ref.properties.getProperty(key).split(",")) {
        String[] iv = probe.split(":");
        int i = Integer.parseInt(iv[0]);
        assertEquals(
            Float.parseFloat(iv[1]), data[i], 0f, name + ": " + tensor + "[" + i + "] from Java");
        checked++;
      }
    }
    assertTrue(checked > 4 * ref.tensors().size(), name + ": only " + checked + " probes");
    assertEquals(
        ref.batch,
        ref.properties.stringPropertyNames().stream()
            .filter(k -> k.startsWith("probe.input#"))
            .count(),
        name + ": an input probe per sample");
  }

  /** The committed torchvision manifests list what the script's state_dict had, in order. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("torchvision")
  void torchvisionManifestIsTheReferencesStateDict(String name, String manifest)
      throws IOException {
    Reference ref = Reference.loadFormula(name);
    Map<String, int[]> json = FormulaWeights.readManifest(Reference.resource("blocks/" + manifest));
    assertEquals(ref.tensors(), new ArrayList<>(json.keySet()), manifest + " names");
    for (Map.Entry<String, int[]> e : ref.manifest().entrySet()) {
      assertArrayEquals(e.getValue(), json.get(e.getKey()), manifest + ": " + e.getKey());
    }
  }

  static Stream<org.junit.jupiter.params.provider.Arguments> torchvision() {
    return Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("ResNet18", "torchvision-resnet18.json"),
        org.junit.jupiter.params.provider.Arguments.of(
            "MobileNetV2", "torchvision-mobilenet_v2.json"));
  }

  /**
   * The file a parity test loads: torchvision's exact names and shapes (the key list of the
   * committed manifest), every value the formula's, in PyTorch's layout.
   */
  @Test
  void writesAFileWithTorchvisionsNamesAndShapes(@TempDir Path dir) throws IOException {
    LinkedHashMap<String, int[]> manifest =
        FormulaWeights.readManifest(Reference.resource("blocks/torchvision-resnet18.json"));
    Path file = FormulaWeights.write(dir.resolve("resnet18.safetensors"), manifest, 3.0);
    Map<String, Tensor> read = Safetensors.read(file);
    assertEquals(new ArrayList<>(manifest.keySet()), sorted(read.keySet(), manifest), "names");
    long params = 0;
    for (Map.Entry<String, int[]> e : manifest.entrySet()) {
      Tensor t = read.get(e.getKey());
      assertArrayEquals(e.getValue(), t.shape(), e.getKey() + " shape");
      if (!e.getKey().endsWith("running_mean") && !e.getKey().endsWith("running_var")) {
        params += t.size();
      }
    }
    assertEquals(11_689_512L, params, "torchvision resnet18's parameter count");
    float[] var = read.get("layer3.1.bn2.running_var").data();
    for (float v : var) {
      assertTrue(v >= 0.75f && v < 1.25f, "running_var " + v);
    }
    float[] w = read.get("fc.weight").data();
    double bound = Math.sqrt(3.0 / 512);
    double max = 0;
    for (float v : w) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max <= bound && max > 0.99 * bound, "fc.weight max " + max + ", bound " + bound);
    assertEquals(
        Arrays.toString(FormulaWeights.values("fc.weight", 5, 0, bound)),
        Arrays.toString(Arrays.copyOf(w, 5)),
        "fc.weight's first values");
  }

  private static List<String> sorted(
      java.util.Set<String> names, LinkedHashMap<String, int[]> order) {
    List<String> out = new ArrayList<>(order.keySet());
    out.retainAll(names);
    assertEquals(names.size(), out.size(), "file has names the manifest lacks: " + names);
    return out;
  }
}
