package dev.stride.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.WeightNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The LeNet that PyTorch trained (tools/train_lenet.py), loaded through the generated {@link
 * LeNetModel} straight from its {@code torch.save} file, predicts what PyTorch predicted on the
 * Fashion-MNIST images shipped with the example.
 */
class LeNetFashionMnistTest {
  /** The contract's tolerance: 1e-4 of the output's scale. */
  private static final double TOLERANCE = 1e-4;

  private static FashionMnist subset;
  private static PyTorchReference torch;
  private static LeNetModel fromTorchSave;

  @BeforeAll
  static void load() throws IOException {
    subset = FashionMnist.shippedSubset();
    torch = PyTorchReference.shipped();
    fromTorchSave = LeNetModel.load(Resources.file("lenet.pt"), WeightNames.sequential());
  }

  private static int[] predict(LeNetModel model) {
    float[] logits = model.forward(subset.images(), subset.count());
    int[] predicted = new int[subset.count()];
    for (int i = 0; i < predicted.length; i++) {
      predicted[i] = Main.argmax(logits, 10 * i, 10);
    }
    return predicted;
  }

  @Test
  void predictionsEqualPyTorchsOnTheShippedSubset() {
    assertEquals(1000, subset.count());
    int[] predicted = predict(fromTorchSave);
    Confusion confusion = new Confusion(FashionMnist.CLASSES);
    for (int i = 0; i < predicted.length; i++) {
      assertEquals(torch.prediction(i), predicted[i], "prediction for test image " + i);
      confusion.add(subset.labels()[i], predicted[i]);
    }
    assertEquals(torch.accuracy(subset.labels()), confusion.accuracy(), 1e-12);
  }

  @Test
  void torchSaveByPositionAndSafetensorsByFieldNameGiveTheSameModel() throws IOException {
    LeNetModel fromSafetensors = LeNetModel.load(Resources.file("lenet.safetensors"));
    float[] input = Arrays.copyOf(subset.images(), 50 * FashionMnist.PIXELS);
    assertArrayEquals(fromSafetensors.forward(input, 50), fromTorchSave.forward(input, 50));
  }

  @Test
  void logitsMatchPyTorchsWithinTheContractsTolerance() throws IOException {
    String json = Resources.text("lenet-reference.json");
    int start = json.indexOf("\"logits_first_100\"");
    assertTrue(start >= 0, "lenet-reference.json has logits_first_100");
    Matcher m = Pattern.compile("-?\\d+\\.\\d+(?:e-?\\d+)?").matcher(json.substring(start));
    List<Float> want = new ArrayList<>();
    while (want.size() < 1000 && m.find()) {
      want.add(Float.parseFloat(m.group()));
    }
    assertEquals(1000, want.size());
    float[] got = fromTorchSave.forward(Arrays.copyOf(subset.images(), 100 * 784), 100);
    double scale = 0;
    for (float w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < got.length; i++) {
      assertEquals(
          want.get(i), got[i], TOLERANCE * scale, "logit " + i % 10 + " of image " + i / 10);
    }
  }

  @Test
  void confusionMatrixCountsRowsAsTruthAndColumnsAsPrediction() {
    Confusion c = new Confusion(List.of("a", "b"));
    c.add(0, 0);
    c.add(0, 1);
    c.add(1, 1);
    c.add(1, 1);
    assertEquals(1, c.count(0, 1));
    assertEquals(0, c.count(1, 0));
    assertEquals(0.75, c.accuracy(), 1e-12);
    assertEquals(0.5, c.accuracy(0), 1e-12);
    assertEquals(1.0, c.accuracy(1), 1e-12);
  }
}
