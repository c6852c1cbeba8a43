package dev.stride.runtime.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Softmax and top-k against torch.softmax and torch.topk (tools/make_image_reference.py). */
class PredictionsTest {
  private static final List<String> NAMES =
      List.of(
          "t-shirt",
          "trouser",
          "pullover",
          "dress",
          "coat",
          "sandal",
          "shirt",
          "sneaker",
          "bag",
          "ankle boot");

  private static float[] floats(String line) {
    String[] parts = line.trim().split(" ");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Float.parseFloat(parts[i]);
    }
    return out;
  }

  private static List<String> reference() throws IOException {
    try {
      Path p = Path.of(PredictionsTest.class.getResource("/images/logits.txt").toURI());
      List<String> lines = new ArrayList<>(Files.readAllLines(p, StandardCharsets.UTF_8));
      lines.removeIf(l -> l.startsWith("#"));
      return lines;
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void softmaxAndTopKMatchPyTorch() throws IOException {
    List<String> ref = reference();
    float[] logits = floats(ref.get(0));
    float[] expected = floats(ref.get(1));
    float[] p = Predictions.softmax(logits);
    for (int i = 0; i < p.length; i++) {
      assertEquals(expected[i], p[i], 1e-6f, "probability " + i);
    }
    float[] top = floats(ref.get(2));
    List<Prediction> best = Predictions.top(logits, 3, NAMES);
    for (int i = 0; i < 3; i++) {
      assertEquals((int) top[i], best.get(i).index());
      assertEquals(NAMES.get((int) top[i]), best.get(i).label());
      assertEquals(expected[(int) top[i]], best.get(i).probability(), 1e-6f);
    }
    assertEquals((int) top[0], Predictions.argmax(logits));
  }

  @Test
  void tiesKeepTheLowerIndexFirst() {
    List<Prediction> top = Predictions.top(new float[] {1, 3, 3, 0}, 2);
    assertEquals(1, top.get(0).index());
    assertEquals(2, top.get(1).index());
    assertEquals("1", top.get(0).label());
    assertEquals(top.get(0).probability(), top.get(1).probability());
  }

  @Test
  void oneSampleOfABatch() {
    float[] batch = {0, 0, 5, 1, 2};
    float[] p = Predictions.softmax(batch, 2, 3);
    assertEquals(3, p.length);
    float sum = p[0] + p[1] + p[2];
    assertEquals(1f, sum, 1e-6f);
    assertTrue(p[0] > p[2] && p[2] > p[1]);
  }

  @Test
  void mistakesNameTheExpectedSizes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Predictions.top(new float[10], 3, List.of("a", "b")));
    assertEquals("expected 10 class names, one per output, but got 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Predictions.top(new float[10], 11));
    assertEquals("k = 11, but the output has 10 classes", e.getMessage());
  }
}
