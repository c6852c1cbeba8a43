package dev.stride.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.CompiledNetwork;
import dev.stride.runtime.NetworkDef;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images against torchvision's preprocessing of the same PNGs (tools/make_image_reference.py):
 * PIL's convert, ToTensor, Resize(antialias=False), CenterCrop and Normalize.
 */
class ImageInputTest {
  /**
   * Agreement with torchvision, per value: float32 rounding of the same arithmetic in another
   * order, scaled by ImageNet's smallest standard deviation where values are normalised.
   */
  private static final float TOLERANCE = 2e-6f;

  private static Path resource(String name) {
    try {
      return Path.of(ImageInputTest.class.getResource("/images/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void matchesTorchvisionOnFashionMnistAndRgbImages() throws IOException {
    List<String> lines = Files.readAllLines(resource("reference.txt"), StandardCharsets.UTF_8);
    int cases = 0;
    for (String line : lines) {
      if (line.startsWith("#")) {
        continue;
      }
      String[] f = line.split(" ");
      int channels = Integer.parseInt(f[1]);
      int height = Integer.parseInt(f[2]);
      int width = Integer.parseInt(f[3]);
      int shorter = Integer.parseInt(f[4]);
      ImageInput in = ImageInput.of(channels, height, width);
      if (shorter > 0) {
        in = in.resizeShorterSide(shorter);
      }
      float tolerance = TOLERANCE;
      if (f[5].equals("1")) {
        in = in.normalize(ImageInput.IMAGENET_MEAN, ImageInput.IMAGENET_STD);
        tolerance /= 0.224f;
      }
      float[] actual = in.apply(resource(f[0]));
      String what = f[0] + " as " + in;
      assertEquals(f.length - 6, actual.length, what);
      for (int i = 0; i < actual.length; i++) {
        float expected = Float.parseFloat(f[6 + i]);
        assertEquals(expected, actual[i], tolerance, what + " value " + i);
      }
      cases++;
    }
    assertEquals(7, cases);
  }

  @Test
  void theModelsInputShapeSetsTheSizeAndChannels() {
    NetworkDef gray = NetworkDef.builder("Gray", 1, 28, 28).flatten("flatten").build();
    ImageInput in = ImageInput.of(CompiledNetwork.random(gray, 1));
    assertEquals(784, in.size());
    assertEquals("[1, 28, 28]", in.shape().toString());

    NetworkDef flat = NetworkDef.builder("Flat", 784).relu("relu").build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ImageInput.of(CompiledNetwork.random(flat, 1)));
    assertTrue(
        e.getMessage().contains("Flat takes a flat input [784], not an image"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class, () -> ImageInput.of(4, 8, 8));
    assertTrue(e.getMessage().contains("1 (grayscale) or 3 (RGB) channels, not 4"), e.getMessage());
  }

  @Test
  void normalisationNeedsOneMeanAndStdPerChannel() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ImageInput.of(1, 28, 28)
                    .normalize(ImageInput.IMAGENET_MEAN, ImageInput.IMAGENET_STD));
    assertTrue(e.getMessage().contains("expected 1 means and standard deviations"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> ImageInput.of(1, 2, 2).normalize(new float[] {0}, new float[] {0}));
    assertThrows(IllegalArgumentException.class, () -> ImageInput.of(3, 8, 8).resizeShorterSide(7));
  }

  @Test
  void aBatchIsTheImagesBackToBack() throws IOException {
    ImageInput in =
        ImageInput.of(3, 5, 7)
            .normalize(new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.3f, 0.4f});
    List<BufferedImage> images = new ArrayList<>();
    for (String name : List.of("rgb.png", "fmnist-0.png")) {
      images.add(ImageInput.read(resource(name)));
    }
    float[] batch = in.apply(images);
    assertEquals(2 * in.size(), batch.length);
    float[] second = in.apply(images.get(1));
    float[] tail = new float[in.size()];
    System.arraycopy(batch, in.size(), tail, 0, in.size());
    assertArrayEquals(second, tail);
  }

  @Test
  void readErrorsNameTheFile(@TempDir Path dir) throws IOException {
    ImageInput in = ImageInput.of(1, 28, 28);
    IOException e = assertThrows(IOException.class, () -> in.apply(dir));
    assertEquals(dir + " is a directory, not an image", e.getMessage());
    Path missing = dir.resolve("missing.png");
    e = assertThrows(NoSuchFileException.class, () -> in.apply(missing));
    assertEquals(missing.toString(), e.getMessage());
    Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
    e = assertThrows(IOException.class, () -> in.apply(text));
    assertTrue(
        e.getMessage().startsWith(text + " is not an image ImageIO can read"), e.getMessage());
  }
}
