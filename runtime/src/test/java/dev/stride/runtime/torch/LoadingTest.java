package dev.stride.runtime.torch;

import static dev.stride.runtime.NetworkDef.dilation;
import static dev.stride.runtime.NetworkDef.kernel;
import static dev.stride.runtime.NetworkDef.padding;
import static dev.stride.runtime.NetworkDef.stride;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stride.runtime.CompiledNetwork;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import dev.stride.runtime.WeightNames;
import dev.stride.runtime.WeightsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading d2l's nested nn.Sequential checkpoints, key mappings by regular expression, and the
 * errors a PyTorch user meets first: each names the file and says what to do.
 */
class LoadingTest {
  /** tools/make_torch_fixtures.py's tiny VGG, each vgg_block written as a @Block field. */
  static final NetworkDef VGG =
      NetworkDef.builder("Vgg", 1, 16, 16)
          .conv2d("b1.conv1", 4, 16, 16, k3(), s1(), p1(), d1(), 1, true)
          .relu("b1.relu1")
          .maxPool("b1.pool", 8, 8, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0))
          .conv2d("b2.conv1", 8, 8, 8, k3(), s1(), p1(), d1(), 1, true)
          .relu("b2.relu1")
          .conv2d("b2.conv2", 8, 8, 8, k3(), s1(), p1(), d1(), 1, true)
          .relu("b2.relu2")
          .maxPool("b2.pool", 4, 4, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0))
          .flatten("flatten")
          .linear("fc1", 16, true)
          .relu("relu")
          .dropout("drop", 0.5)
          .linear("fc2", 10, true)
          .build();

  /** The tiny NiN: nin_block fields b1, b2, b3 of three convolutions and ReLUs each. */
  static final NetworkDef NIN = nin();

  private static NetworkDef nin() {
    NetworkDef.Builder b = NetworkDef.builder("Nin", 1, 16, 16);
    nin(b, "b1", 8, 16, kernel(5, 5), padding(2, 2, 2, 2));
    b.maxPool("pool1", 7, 7, kernel(3, 3), stride(2, 2), padding(0, 0, 0, 0));
    nin(b, "b2", 12, 7, k3(), p1());
    b.maxPool("pool2", 3, 3, kernel(3, 3), stride(2, 2), padding(0, 0, 0, 0));
    b.dropout("drop", 0.5);
    nin(b, "b3", 10, 3, k3(), p1());
    return b.globalAvgPool("gap").flatten("flatten").build();
  }

  private static void nin(NetworkDef.Builder b, String block, int c, int hw, int[] k, int[] p) {
    b.conv2d(block + ".conv1", c, hw, hw, k, s1(), p, d1(), 1, true).relu(block + ".relu1");
    int[] none = padding(0, 0, 0, 0);
    b.conv2d(block + ".conv2", c, hw, hw, kernel(1, 1), s1(), none, d1(), 1, true);
    b.relu(block + ".relu2");
    b.conv2d(block + ".conv3", c, hw, hw, kernel(1, 1), s1(), none, d1(), 1, true);
    b.relu(block + ".relu3");
  }

  /** The same VGG written flat, without blocks. */
  static final NetworkDef FLAT_VGG =
      NetworkDef.builder("FlatVgg", 1, 16, 16)
          .conv2d("conv1", 4, 16, 16, k3(), s1(), p1(), d1(), 1, true)
          .relu("relu1")
          .maxPool("pool1", 8, 8, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0))
          .conv2d("conv2", 8, 8, 8, k3(), s1(), p1(), d1(), 1, true)
          .relu("relu2")
          .conv2d("conv3", 8, 8, 8, k3(), s1(), p1(), d1(), 1, true)
          .relu("relu3")
          .maxPool("pool2", 4, 4, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0))
          .flatten("flatten")
          .linear("fc1", 16, true)
          .relu("relu")
          .dropout("drop", 0.5)
          .linear("fc2", 10, true)
          .build();

  private static int[] k3() {
    return kernel(3, 3);
  }

  private static int[] s1() {
    return stride(1, 1);
  }

  private static int[] p1() {
    return padding(1, 1, 1, 1);
  }

  private static int[] d1() {
    return dilation(1, 1);
  }

  @Test
  void sequentialNumbersTheFieldsOfEachBlockAsNestedSequentialsDo() {
    Map<String, String> keys = WeightNames.sequential().fileKeys(VGG);
    assertEquals("b1.conv1.weight", keys.get("0.0.weight"));
    assertEquals("b2.conv1.weight", keys.get("1.0.weight"));
    assertEquals("b2.conv2.bias", keys.get("1.2.bias"));
    assertEquals("fc1.weight", keys.get("3.weight"));
    assertEquals("fc2.bias", keys.get("6.bias"));
    Map<String, String> nin = WeightNames.sequential().fileKeys(NIN);
    assertEquals("b2.conv3.weight", nin.get("2.4.weight"));
    assertEquals("b3.conv1.weight", nin.get("5.0.weight"));
  }

  @Test
  void d2lVggAndNinLoadWithoutRenamesAndMatchPyTorch() throws IOException {
    for (NetworkDef net : List.of(VGG, NIN)) {
      String name = net.name().toLowerCase(java.util.Locale.ROOT);
      CompiledNetwork model =
          CompiledNetwork.load(net, Fixtures.torch(name + ".pt"), WeightNames.sequential());
      Map<String, Tensor> io = TorchCheckpoint.read(Fixtures.torch(name + "-io.pt"));
      float[] expected = io.get("output").data();
      float[] actual = model.forward(io.get("input").data(), io.get("input").shape()[0]);
      assertEquals(expected.length, actual.length, name);
      float scale = 0;
      for (float v : expected) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-4f * Math.max(scale, 1e-3f), name + " output " + i);
      }
    }
  }

  @Test
  void aFlatSpecForANestedFileIsToldWhatFits() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> CompiledNetwork.load(FLAT_VGG, Fixtures.torch("vgg.pt"), WeightNames.fields()));
    String m = e.getMessage();
    assertTrue(m.startsWith(Fixtures.torch("vgg.pt").toString()), m);
    assertTrue(
        m.contains(
            "the file nests nn.Sequentials (keys like 0.0.weight): write each inner nn.Sequential"
                + " as a @Block field and load with WeightNames.sequential(), or keep this spec"
                + " and load with WeightNames.fields().rename(\"conv1\", \"0.0\").rename(\"conv2\","
                + " \"1.0\").rename(\"conv3\", \"1.2\").rename(\"fc1\", \"3\").rename(\"fc2\","
                + " \"6\")"),
        m);
  }

  @Test
  void theSuggestedRenamesLoadTheFile() throws IOException {
    WeightNames names =
        WeightNames.fields()
            .rename("conv1", "0.0")
            .rename("conv2", "1.0")
            .rename("conv3", "1.2")
            .rename("fc1", "3")
            .rename("fc2", "6");
    Map<String, Tensor> file = TorchCheckpoint.read(Fixtures.torch("vgg.pt"));
    Map<String, Tensor> w = names.apply(FLAT_VGG, file);
    assertSame(file.get("1.2.weight"), w.get("conv3.weight"));
  }

  @Test
  void replaceRewritesEveryFieldKeyIntoTheFileKey() throws IOException {
    WeightNames names =
        WeightNames.fields()
            .replace("^b(\\d)\\.conv(\\d)\\.", "block$1.layer$2.")
            .replace("^fc", "head.fc");
    Map<String, String> keys = names.fileKeys(VGG);
    assertEquals("b2.conv2.weight", keys.get("block2.layer2.weight"));
    assertEquals("fc1.bias", keys.get("head.fc1.bias"));
    assertEquals(
        "WeightNames.fields().replace(\"^b(\\\\d)\\\\.conv(\\\\d)\\\\.\", \"block$1.layer$2.\")"
            + ".replace(\"^fc\", \"head.fc\")",
        names.toString());
    Map<String, Tensor> file = new LinkedHashMap<>();
    for (String fileKey : keys.keySet()) {
      file.put(fileKey, new Tensor(new int[] {1}, new float[] {1}));
    }
    assertEquals(List.copyOf(keys.values()), List.copyOf(names.apply(VGG, file).keySet()));
  }

  @Test
  void replaceRejectsABadRegexAndKeysThatCollide() {
    assertThrows(IllegalArgumentException.class, () -> WeightNames.fields().replace("(", "x"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> WeightNames.fields().replace("^fc\\d", "fc").fileKeys(VGG));
    assertTrue(
        e.getMessage().contains("names both fc1.weight and fc2.weight 'fc.weight'"),
        e.getMessage());
  }

  @Test
  void renameMayNameASubBlock() {
    Map<String, String> keys = WeightNames.fields().rename("b2", "features.1").fileKeys(VGG);
    assertEquals("b2.conv2.weight", keys.get("features.1.conv2.weight"));
    assertEquals("b1.conv1.weight", keys.get("b1.conv1.weight"));
  }

  @Test
  void aDirectoryIsNamedByEveryReader(@TempDir Path dir) {
    for (org.junit.jupiter.api.function.Executable read :
        List.<org.junit.jupiter.api.function.Executable>of(
            () -> CompiledNetwork.load(VGG, dir),
            () -> CompiledNetwork.load(VGG, dir, WeightNames.sequential()),
            () -> WeightsFile.read(dir),
            () -> Safetensors.readHeader(dir),
            () -> Safetensors.read(dir),
            () -> TorchCheckpoint.read(dir))) {
      IOException e = assertThrows(IOException.class, read);
      assertTrue(e.getMessage().startsWith(dir.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }
  }

  @Test
  void anIntTensorInATorchFileIsReportedAsTheWrongDtype() {
    Path file = Fixtures.torch("int32.pt");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                CompiledNetwork.load(
                    WeightNamesTest.NET, file, WeightNames.sequential("features.")));
    assertEquals(
        file
            + ": tensor 'features.0.weight' (conv.weight) has dtype int32, expected a float tensor"
            + " (float32, or float16, bfloat16, float64, which are converted)",
        e.getMessage());
  }

  @Test
  void aTrainingCheckpointDictIsToldWhichMappingFits() throws IOException {
    Path file = Fixtures.torch("checkpoint.pt");
    IOException e =
        assertThrows(IOException.class, () -> CompiledNetwork.load(WeightNamesTest.NET, file));
    String m = e.getMessage();
    assertTrue(m.startsWith(file.toString()), m);
    String fits = "WeightNames.sequential(\"features.\").stripPrefix(\"model.\")";
    assertTrue(
        m.contains(
            "these names fit the file: try "
                + fits
                + " (the file is a dict holding the state_dict under 'model')"),
        m);
    WeightNames names = WeightNames.sequential("features.").stripPrefix("model.");
    assertEquals(fits, names.toString());
    Map<String, Tensor> loaded = WeightsFile.read(file, WeightNamesTest.NET, names);
    assertEquals(TorchCheckpoint.read(file).get("model.features.5.bias"), loaded.get("fc.bias"));
    // The optimizer's state, keyed by parameter index, is skipped rather than refused.
    assertTrue(
        TorchCheckpoint.load(file).skipped().keySet().stream()
            .anyMatch(k -> k.startsWith("optimizer.state.")));
  }

  @Test
  void aStateDictEntryIsToldWhichMappingFits() {
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                WeightsFile.read(
                    Fixtures.torch("state-dict-entry.pt"),
                    WeightNamesTest.NET,
                    WeightNames.sequential("features.")));
    assertTrue(
        e.getMessage()
            .contains(
                "try WeightNames.sequential(\"features.\").stripPrefix(\"state_dict.\") (the file"
                    + " is a dict holding the state_dict under 'state_dict')"),
        e.getMessage());
  }

  @Test
  void aWholeModelFileSaysToSaveTheStateDict() {
    Path file = Fixtures.torch("whole-model.pt");
    IOException e =
        assertThrows(IOException.class, () -> CompiledNetwork.load(WeightNamesTest.NET, file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(
                "If this file is a whole model saved with torch.save(model), save its state_dict"
                    + " instead: torch.save(model.state_dict(), path)"),
        e.getMessage());
  }

  @Test
  void aMisshapenTensorNamesTheFileAndTheFileKey(@TempDir Path dir) throws IOException {
    Map<String, Tensor> good = CompiledNetwork.random(VGG, 1).tensors();
    Map<String, Tensor> byPosition = new LinkedHashMap<>();
    WeightNames.sequential()
        .fileKeys(VGG)
        .forEach((file, field) -> byPosition.put(file, good.get(field)));
    byPosition.put("1.2.weight", new Tensor(new int[] {8, 4, 3, 3}, new float[8 * 4 * 9]));
    Path path = dir.resolve("vgg.safetensors");
    Safetensors.write(path, byPosition);
    IOException e =
        assertThrows(
            IOException.class, () -> CompiledNetwork.load(VGG, path, WeightNames.sequential()));
    assertEquals(
        path
            + ": Vgg weights do not fit: tensor '1.2.weight' (b2.conv2.weight) has shape [8, 4, 3,"
            + " 3], expected [8, 8, 3, 3]",
        e.getMessage());
  }

  @Test
  void saveHonoursTheUmaskAndKeepsAnExistingFilesPermissions(@TempDir Path dir) throws IOException {
    assumeTrue(Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class));
    CompiledNetwork net = CompiledNetwork.random(VGG, 1);
    Path plain = Files.createFile(dir.resolve("plain")); // what the umask gives a new file
    Path saved = dir.resolve("new.safetensors");
    net.save(saved);
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(saved));

    Path existing = dir.resolve("existing.safetensors");
    Files.createFile(existing);
    var groupReadable = PosixFilePermissions.fromString("rw-r-----");
    Files.setPosixFilePermissions(existing, groupReadable);
    net.save(existing);
    assertEquals(groupReadable, Files.getPosixFilePermissions(existing));
    assertFalse(
        Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")),
        "no temporary file is left behind");
  }
}
