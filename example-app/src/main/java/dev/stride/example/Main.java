package dev.stride.example;

import dev.stride.runtime.WeightNames;
import dev.stride.runtime.image.ImageInput;
import dev.stride.runtime.image.Prediction;
import dev.stride.runtime.image.Predictions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * d2l's workflow in Java: the LeNet PyTorch trained on Fashion-MNIST ({@code lenet.pt}, straight
 * from {@code torch.save}) classifies the test set through the generated {@link LeNetModel}.
 *
 * <p>Prints AlexNet's, LeNet's and d2l's ResNet-18's tables, then accuracy beside PyTorch's on the
 * same images, per-class accuracy, the confusion matrix, the first call's time and the throughput
 * after warm-up, classifies a few test images saved as PNG files through the image helpers, and
 * writes a PNG grid of captioned test images. Takes no arguments; an optional one is the PNG's
 * path.
 */
public final class Main {
  private static final int BATCH = 250;

  /** How long the throughput is measured for, after the warm-up, in nanoseconds. */
  private static final long MEASURE_NANOS = 2_000_000_000L;

  private static final String DEFAULT_PNG = "fashion-mnist-predictions.png";

  private Main() {}

  /** Runs the example; {@code args[0]}, if given, is where to write the PNG. */
  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    out.println(AlexNetModel.summary());
    out.println();
    out.println(LeNetModel.summary());
    out.println();
    out.println(ResNet18Model.summary());
    out.println();

    // The file torch.save wrote for d2l's nn.Sequential: keys 0.weight, 3.weight, ... by position.
    LeNetModel lenet = LeNetModel.load(Resources.file("lenet.pt"), WeightNames.sequential());
    FashionMnist test = FashionMnist.testSet();
    out.printf(
        Locale.ROOT,
        "Classifying %,d Fashion-MNIST test images from %s%n",
        test.count(),
        test.source());

    // The first call runs in the interpreter and starts the JIT compiler: timed on its own.
    float[] first = new float[BATCH * FashionMnist.PIXELS];
    System.arraycopy(test.images(), 0, first, 0, Math.min(first.length, test.images().length));
    long start = System.nanoTime();
    lenet.forward(first, BATCH);
    double firstCall = (System.nanoTime() - start) / 1e9;

    int[] predicted = classify(lenet, test, out); // also the warm-up

    Confusion confusion = new Confusion(FashionMnist.CLASSES);
    for (int i = 0; i < test.count(); i++) {
      confusion.add(test.labels()[i], predicted[i]);
    }
    PyTorchReference torch = PyTorchReference.shipped();
    int agree = 0;
    for (int i = 0; i < test.count(); i++) {
      agree += predicted[i] == torch.prediction(i) ? 1 : 0;
    }
    out.printf(
        Locale.ROOT,
        "Accuracy: %.2f%% (Stride)   %.2f%% (PyTorch, same weights and images)%n",
        100 * confusion.accuracy(),
        100 * torch.accuracy(test.labels()));
    out.printf(Locale.ROOT, "Predictions equal to PyTorch's: %,d of %,d%n", agree, test.count());
    out.printf(
        Locale.ROOT,
        "First call: %.0f ms for a batch of %d (includes JIT compilation)%n",
        firstCall * 1e3,
        BATCH);
    long images = 0;
    start = System.nanoTime();
    long elapsed;
    do {
      images += classify(lenet, test, null).length;
      elapsed = System.nanoTime() - start;
    } while (elapsed < MEASURE_NANOS);
    out.printf(
        Locale.ROOT,
        "Throughput after warm-up: %,.0f images/s (batch %d, %,d images in %.1f s)%n%n",
        images / (elapsed / 1e9),
        BATCH,
        images,
        elapsed / 1e9);
    out.println("Per-class accuracy:");
    out.print(confusion.perClassTable());
    out.println();
    out.println("Confusion matrix (rows: true class, columns: predicted):");
    out.print(confusion);

    out.println();
    filesThroughTheImageHelpers(lenet, test, out);

    Path png = Path.of(args.length > 0 ? args[0] : DEFAULT_PNG).toAbsolutePath();
    ImageGrid.write(png, test, predicted, 4, 8);
    out.println();
    out.println("Wrote " + png);
  }

  /**
   * Saves the first test images as PNG files, as a user's pictures would come, and classifies them
   * through {@link ImageInput} (sized by the model's input) and {@link Predictions}.
   */
  private static void filesThroughTheImageHelpers(
      LeNetModel lenet, FashionMnist test, PrintStream out) throws IOException {
    Path dir = Files.createTempDirectory("stride-example");
    ImageInput input = ImageInput.of(lenet); // (1, 28, 28): grayscale, no resizing
    out.println("Test images saved as PNG files, read back and classified (top 3):");
    for (int i = 0; i < 4; i++) {
      Path file = dir.resolve("test-" + i + ".png");
      ImageGrid.writeImage(file, test, i);
      float[] logits = lenet.forward(input.apply(file));
      List<Prediction> top = Predictions.top(logits, 3, FashionMnist.CLASSES);
      out.printf(
          Locale.ROOT,
          "  %s (true: %s): %s%n",
          file.getFileName(),
          FashionMnist.CLASSES.get(test.labels()[i]),
          top);
      Files.delete(file);
    }
    Files.delete(dir);
  }

  /** Predicted classes of every image; with {@code out}, a progress bar. */
  private static int[] classify(LeNetModel model, FashionMnist data, PrintStream out) {
    int n = data.count();
    int[] predicted = new int[n];
    float[] batch = new float[BATCH * FashionMnist.PIXELS];
    for (int from = 0; from < n; from += BATCH) {
      int size = Math.min(BATCH, n - from);
      float[] input = size == BATCH ? batch : new float[size * FashionMnist.PIXELS];
      System.arraycopy(
          data.images(), from * FashionMnist.PIXELS, input, 0, size * FashionMnist.PIXELS);
      float[] logits = model.forward(input, size);
      for (int i = 0; i < size; i++) {
        predicted[from + i] = argmax(logits, i * LeNetModel.OUTPUT_SIZE, LeNetModel.OUTPUT_SIZE);
      }
      if (out != null) {
        progress(out, from + size, n);
      }
    }
    if (out != null) {
      out.println();
    }
    return predicted;
  }

  /** The index of the largest of {@code length} values from {@code offset}; the first on ties. */
  static int argmax(float[] values, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (values[offset + i] > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }

  private static void progress(PrintStream out, int done, int total) {
    int width = 40;
    int filled = (int) ((long) done * width / total);
    out.printf(
        Locale.ROOT,
        "\r[%s%s] %,6d / %,d",
        "#".repeat(filled),
        ".".repeat(width - filled),
        done,
        total);
    out.flush();
  }
}
