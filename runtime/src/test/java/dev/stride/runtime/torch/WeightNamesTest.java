package dev.stride.runtime.torch;

import static dev.stride.runtime.NetworkDef.dilation;
import static dev.stride.runtime.NetworkDef.kernel;
import static dev.stride.runtime.NetworkDef.padding;
import static dev.stride.runtime.NetworkDef.stride;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Tensor;
import dev.stride.runtime.WeightNames;
import dev.stride.runtime.WeightsFile;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Key mapping between PyTorch's names (by position, prefixed) and Stride's field names. */
class WeightNamesTest {
  /**
   * The network of tools/make_torch_fixtures.py's {@code Net.features}: Conv2d(1, 2, 3, padding=1),
   * BatchNorm2d(2), ReLU, AvgPool2d(2), Flatten, Linear(8, 3) on (1, 4, 4).
   */
  static final NetworkDef NET =
      NetworkDef.builder("Net", 1, 4, 4)
          .conv2d(
              "conv",
              2,
              4,
              4,
              kernel(3, 3),
              stride(1, 1),
              padding(1, 1, 1, 1),
              dilation(1, 1),
              1,
              true)
          .batchNorm("bn", 1e-5)
          .relu("relu")
          .avgPool("pool", 2, 2, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0), true)
          .flatten("flatten")
          .linear("fc", 3, true)
          .build();

  private static final List<String> FIELD_KEYS =
      List.of(
          "conv.weight",
          "conv.bias",
          "bn.weight",
          "bn.bias",
          "bn.running_mean",
          "bn.running_var",
          "fc.weight",
          "fc.bias");

  @Test
  void sequentialWithPrefixMapsTheNthFieldToIndexN() throws IOException {
    Map<String, Tensor> file = TorchCheckpoint.read(Fixtures.torch("sequential.pt"));
    Map<String, Tensor> w = WeightNames.sequential("features.").apply(NET, file);
    assertEquals(FIELD_KEYS, List.copyOf(w.keySet()));
    assertSame(file.get("features.0.weight"), w.get("conv.weight"));
    assertSame(file.get("features.1.running_var"), w.get("bn.running_var"));
    assertSame(file.get("features.5.bias"), w.get("fc.bias"));
  }

  @Test
  void inOrderTakesTheFileTensorsByPositionWhateverTheirNames() throws IOException {
    Map<String, Tensor> file = TorchCheckpoint.read(Fixtures.torch("sequential.pt"));
    Map<String, Tensor> w =
        WeightsFile.read(Fixtures.torch("sequential.pt"), NET, WeightNames.inOrder());
    assertEquals(FIELD_KEYS, List.copyOf(w.keySet()));
    assertEquals(file.get("features.0.weight"), w.get("conv.weight"));
    assertEquals(file.get("features.1.running_mean"), w.get("bn.running_mean"));
    assertEquals(file.get("features.5.bias"), w.get("fc.bias"));
    assertEquals("WeightNames.inOrder()", WeightNames.inOrder().toString());
  }

  @Test
  void inOrderStopsAtTheFirstShapeThatDiffersNamingBothTensors() throws IOException {
    Map<String, Tensor> file = new LinkedHashMap<>();
    Map<String, Tensor> ordered = TorchCheckpoint.read(Fixtures.torch("sequential.pt"));
    file.put("features.5.weight", ordered.get("features.5.weight")); // fc first: sorted by name
    ordered.forEach(file::putIfAbsent);
    IOException e = assertThrows(IOException.class, () -> WeightNames.inOrder().apply(NET, file));
    String m = e.getMessage();
    assertTrue(m.contains("tensor 1, 'features.5.weight', has shape [3, 8]"), m);
    assertTrue(m.contains("tensor 1, conv.weight, is [2, 1, 3, 3]"), m);
  }

  @Test
  void inOrderCountsTheTensors() throws IOException {
    Map<String, Tensor> file =
        new LinkedHashMap<>(TorchCheckpoint.read(Fixtures.torch("sequential.pt")));
    file.remove("features.5.bias");
    IOException e = assertThrows(IOException.class, () -> WeightNames.inOrder().apply(NET, file));
    assertTrue(
        e.getMessage().contains("Net needs 8 float tensors but the file has 7"), e.getMessage());
  }

  @Test
  void inOrderRefusesNamingRules() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> WeightNames.inOrder().rename("fc", "classifier"));
    assertTrue(e.getMessage().contains("by position"), e.getMessage());
    assertTrue(!WeightNames.inOrder().equals(WeightNames.fields()));
  }

  @Test
  void fileKeysCountEveryFieldAsNnSequentialCountsEveryModule() {
    assertEquals(
        List.of(
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "5.weight",
            "5.bias"),
        List.copyOf(WeightNames.sequential().fileKeys(NET).keySet()));
  }

  @Test
  void stripPrefixReadsDataParallelCheckpoints() throws IOException {
    Map<String, Tensor> w =
        WeightsFile.read(
            Fixtures.torch("dataparallel.pt"),
            NET,
            WeightNames.sequential("features.").stripPrefix("module."));
    assertEquals(FIELD_KEYS, List.copyOf(w.keySet()));
    assertEquals(
        TorchCheckpoint.read(Fixtures.torch("sequential.pt")).get("features.0.weight"),
        w.get("conv.weight"));
  }

  @Test
  void renameNamesOneLayerExplicitly() throws IOException {
    Map<String, Tensor> file = new LinkedHashMap<>();
    TorchCheckpoint.read(Fixtures.torch("sequential.pt"))
        .forEach((k, v) -> file.put(k.replace("features.5.", "classifier.1."), v));
    WeightNames names = WeightNames.sequential("features.").rename("fc", "classifier.1");
    assertEquals(FIELD_KEYS, List.copyOf(names.apply(NET, file).keySet()));
    assertEquals(
        "WeightNames.sequential(\"features.\").rename(\"fc\", \"classifier.1\")", names.toString());
  }

  @Test
  void mismatchListsMissingUnexpectedExpectedAndFoundKeys() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> WeightsFile.read(Fixtures.torch("sequential.pt"), NET, WeightNames.fields()));
    String m = e.getMessage();
    assertTrue(
        m.contains("sequential.pt: the weights do not fit Net with WeightNames.fields()"), m);
    assertTrue(m.contains("missing: 8 (conv.weight, conv.bias, bn.weight,"), m);
    assertTrue(m.contains("unexpected: 8 (features.0.weight, features.0.bias,"), m);
    assertTrue(m.contains("expected keys: 8 (conv.weight, conv.bias,"), m);
    assertTrue(m.contains("found keys: 8 (features.0.weight,"), m);
    assertTrue(
        m.contains("these names fit the file: try WeightNames.sequential(\"features.\")"), m);
  }

  @Test
  void mismatchShowsFileKeysNextToFieldKeys() throws IOException {
    Map<String, Tensor> file = TorchCheckpoint.read(Fixtures.torch("sequential.pt"));
    file.remove("features.5.bias");
    file.put("features.6.weight", file.get("features.5.weight"));
    IOException e =
        assertThrows(IOException.class, () -> WeightNames.sequential("features.").apply(NET, file));
    String m = e.getMessage();
    assertTrue(m.contains("missing: 1 (features.5.bias (fc.bias))"), m);
    assertTrue(m.contains("unexpected: 1 (features.6.weight)"), m);
  }

  @Test
  void numBatchesTrackedIsIgnoredWhateverItsType() throws IOException {
    Map<String, Tensor> file = TorchCheckpoint.read(Fixtures.torch("sequential.pt"));
    file.put("features.1.num_batches_tracked", new Tensor(new int[0], new float[] {17}));
    assertEquals(
        FIELD_KEYS, List.copyOf(WeightNames.sequential("features.").apply(NET, file).keySet()));
  }

  @Test
  void renamingAnUnknownFieldIsAnError() {
    assertThrows(
        IllegalArgumentException.class,
        () -> WeightNames.fields().rename("nope", "x").fileKeys(NET));
  }
}
