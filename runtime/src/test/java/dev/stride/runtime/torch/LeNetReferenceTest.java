package dev.stride.runtime.torch;

import static dev.stride.runtime.NetworkDef.dilation;
import static dev.stride.runtime.NetworkDef.kernel;
import static dev.stride.runtime.NetworkDef.padding;
import static dev.stride.runtime.NetworkDef.stride;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.CompiledNetwork;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Tensor;
import dev.stride.runtime.WeightNames;
import dev.stride.runtime.WeightsFile;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * d2l's LeNet, trained by PyTorch (tools/train_lenet.py) and loaded from its torch.save file by
 * position, predicts exactly what PyTorch predicted on the committed Fashion-MNIST test subset.
 *
 * <p>The files live with the example app, which is where users meet them; Maven runs this test in
 * the runtime module's folder.
 */
class LeNetReferenceTest {
  /** The contract's tolerance: 1e-4 of the output's scale. */
  private static final double TOLERANCE = 1e-4;

  private static final Path DIR =
      Path.of("..", "example-app", "src", "main", "resources", "fashion-mnist");

  /** The layer table of example-app's LeNet.java, field by field. */
  static final NetworkDef LENET =
      NetworkDef.builder("LeNet", 1, 28, 28)
          .conv2d(
              "conv1",
              6,
              28,
              28,
              kernel(5, 5),
              stride(1, 1),
              padding(2, 2, 2, 2),
              dilation(1, 1),
              1,
              true)
          .sigmoid("act1")
          .avgPool("pool1", 14, 14, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0), true)
          .conv2d(
              "conv2",
              16,
              10,
              10,
              kernel(5, 5),
              stride(1, 1),
              padding(0, 0, 0, 0),
              dilation(1, 1),
              1,
              true)
          .sigmoid("act2")
          .avgPool("pool2", 5, 5, kernel(2, 2), stride(2, 2), padding(0, 0, 0, 0), true)
          .flatten("flatten")
          .linear("fc1", 120, true)
          .sigmoid("act3")
          .linear("fc2", 84, true)
          .sigmoid("act4")
          .linear("fc3", 10, true)
          .build();

  private static String reference;
  private static float[] images;
  private static byte[] labels;
  private static int count;

  @BeforeAll
  static void readFiles() throws IOException {
    reference = Files.readString(DIR.resolve("lenet-reference.json"), StandardCharsets.UTF_8);
    try (DataInputStream in = gzip("t10k-subset-images-idx3-ubyte.gz")) {
      assertEquals(2051, in.readInt(), "IDX image magic");
      count = in.readInt();
      assertEquals(28, in.readInt());
      assertEquals(28, in.readInt());
      byte[] pixels = in.readNBytes(count * 28 * 28);
      images = new float[pixels.length];
      for (int i = 0; i < pixels.length; i++) {
        images[i] = (pixels[i] & 0xff) / 255f; // as numpy's float32 / 255.0
      }
    }
    try (DataInputStream in = gzip("t10k-subset-labels-idx1-ubyte.gz")) {
      assertEquals(2049, in.readInt(), "IDX label magic");
      assertEquals(count, in.readInt());
      labels = in.readNBytes(count);
    }
  }

  private static DataInputStream gzip(String name) throws IOException {
    InputStream in = Files.newInputStream(DIR.resolve(name));
    return new DataInputStream(new GZIPInputStream(in));
  }

  private static String field(String name) {
    Matcher m = Pattern.compile("\"" + name + "\": (\"[^\"]*\"|[-0-9.e]+)").matcher(reference);
    assertTrue(m.find(), name + " in lenet-reference.json");
    return m.group(1).replace("\"", "");
  }

  private static CompiledNetwork fromTorchSave() throws IOException {
    return CompiledNetwork.fromTensors(
        LENET, WeightsFile.read(DIR.resolve("lenet.pt"), LENET, WeightNames.sequential()));
  }

  private static int argmax(float[] v, int from, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[from + i] > v[from + best]) {
        best = i;
      }
    }
    return best;
  }

  @Test
  void torchSaveBySequentialPositionEqualsSafetensorsByFieldName() throws IOException {
    Map<String, Tensor> pt =
        WeightsFile.read(DIR.resolve("lenet.pt"), LENET, WeightNames.sequential());
    Map<String, Tensor> st =
        WeightsFile.read(DIR.resolve("lenet.safetensors"), LENET, WeightNames.fields());
    assertEquals(
        List.of(
            "conv1.weight",
            "conv1.bias",
            "conv2.weight",
            "conv2.bias",
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "fc3.weight",
            "fc3.bias"),
        List.copyOf(pt.keySet()));
    assertEquals(st, pt);
  }

  @Test
  void predictionsEqualPyTorchsOnTheCommittedSubset() throws IOException {
    assertEquals(1000, count);
    String expected = field("predictions").substring(0, count);
    float[] out = fromTorchSave().forward(images, count);
    StringBuilder got = new StringBuilder();
    int correct = 0;
    for (int i = 0; i < count; i++) {
      int p = argmax(out, 10 * i, 10);
      got.append(p);
      correct += p == labels[i] ? 1 : 0;
    }
    assertEquals(expected, got.toString());
    assertEquals(Double.parseDouble(field("subset_accuracy")), correct / (double) count, 1e-9);
  }

  @Test
  void logitsMatchPyTorchsWithinTheContractsTolerance() throws IOException {
    int start = reference.indexOf("\"logits_first_100\"");
    assertTrue(start >= 0);
    Matcher m = Pattern.compile("-?\\d+\\.\\d+(?:e-?\\d+)?").matcher(reference.substring(start));
    List<Float> want = new ArrayList<>();
    while (want.size() < 1000 && m.find()) {
      want.add(Float.parseFloat(m.group()));
    }
    assertEquals(1000, want.size());
    float[] got = fromTorchSave().forward(java.util.Arrays.copyOf(images, 100 * 28 * 28), 100);
    double scale = 0;
    for (float w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < got.length; i++) {
      assertEquals(
          want.get(i), got[i], TOLERANCE * scale, "logit " + i % 10 + " of image " + i / 10);
    }
  }
}
