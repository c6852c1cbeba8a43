package dev.stride.example;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST test images as LeNet takes them: {@code (N, 1, 28, 28)} floats in [0, 1], scaled as
 * d2l's {@code ToTensor} does ({@code byte / 255}).
 *
 * @param source where the images came from, for the report
 * @param images {@code count * 784} floats, back to back
 * @param labels {@code count} class indices
 */
public record FashionMnist(String source, float[] images, byte[] labels) {
  /** The ten classes in label order, with d2l's names. */
  public static final List<String> CLASSES =
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

  /** Pixels in one image. */
  public static final int PIXELS = 28 * 28;

  /** Where Debian's {@code dataset-fashion-mnist} package puts the full data set. */
  public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  private static final int IMAGE_MAGIC = 2051;
  private static final int LABEL_MAGIC = 2049;

  /** The most images one IDX file may claim: the test set has 10,000, the training set 60,000. */
  private static final int MAX_IMAGES = 100_000;

  /**
   * The full 10,000-image test set when Debian's {@code dataset-fashion-mnist} is installed,
   * otherwise the first 1,000 images shipped with this example.
   */
  public static FashionMnist testSet() throws IOException {
    Path images = DEBIAN_DIR.resolve("t10k-images-idx3-ubyte.gz");
    Path labels = DEBIAN_DIR.resolve("t10k-labels-idx1-ubyte.gz");
    if (Files.isReadable(images) && Files.isReadable(labels)) {
      try (InputStream i = Files.newInputStream(images);
          InputStream l = Files.newInputStream(labels)) {
        return read(i, l, DEBIAN_DIR + " (Debian's dataset-fashion-mnist)");
      }
    }
    return shippedSubset();
  }

  /** The first 1,000 test images, shipped in this example's resources. */
  public static FashionMnist shippedSubset() throws IOException {
    try (InputStream i = Resources.open("t10k-subset-images-idx3-ubyte.gz");
        InputStream l = Resources.open("t10k-subset-labels-idx1-ubyte.gz")) {
      return read(i, l, "the 1,000-image subset shipped with the example");
    }
  }

  /** Reads gzipped IDX image and label files, checking their headers against each other. */
  public static FashionMnist read(InputStream images, InputStream labels, String source)
      throws IOException {
    DataInputStream in = new DataInputStream(new GZIPInputStream(images));
    int count = header(in, IMAGE_MAGIC, "images");
    int rows = in.readInt();
    int cols = in.readInt();
    if (rows != 28 || cols != 28) {
      throw new IOException("expected 28 x 28 images, found " + rows + " x " + cols);
    }
    byte[] pixels = readFully(in, count * PIXELS, "images");
    float[] scaled = new float[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      scaled[i] = (pixels[i] & 0xff) / 255f;
    }
    DataInputStream lin = new DataInputStream(new GZIPInputStream(labels));
    int labelCount = header(lin, LABEL_MAGIC, "labels");
    if (labelCount != count) {
      throw new IOException(count + " images but " + labelCount + " labels");
    }
    byte[] classes = readFully(lin, count, "labels");
    for (byte c : classes) {
      if (c < 0 || c >= CLASSES.size()) {
        throw new IOException("label " + c + " is not a Fashion-MNIST class (0 to 9)");
      }
    }
    return new FashionMnist(source, scaled, classes);
  }

  /** Number of images. */
  public int count() {
    return labels.length;
  }

  private static int header(DataInputStream in, int magic, String what) throws IOException {
    int found = in.readInt();
    if (found != magic) {
      throw new IOException(
          "not an IDX " + what + " file: magic number " + found + ", expected " + magic);
    }
    int count = in.readInt();
    if (count < 0 || count > MAX_IMAGES) {
      throw new IOException("IDX " + what + " file claims " + count + " items");
    }
    return count;
  }

  private static byte[] readFully(DataInputStream in, int length, String what) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException(
          "IDX " + what + " file is truncated: " + bytes.length + " of " + length + " bytes");
    }
    return bytes;
  }
}
