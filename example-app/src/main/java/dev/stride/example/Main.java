package dev.stride.example;

import dev.stride.runtime.WeightNames;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * d2l's workflow in Java: the LeNet PyTorch trained on Fashion-MNIST ({@code lenet.pt}, straight
 * from {@code torch.save}) classifies the test set through the generated {@link LeNetModel}.
 *
 * <p>Prints the seed's AlexNet table and LeNet's, then accuracy beside PyTorch's on the same
 * images, per-class accuracy, the confusion matrix and throughput, and writes a PNG grid of
 * captioned test images. Takes no arguments; an optional one is the PNG's path.
 */
public final class Main {
  private static final int BATCH = 250;
  private static final String DEFAULT_PNG = "fashion-mnist-predictions.png";

  private Main() {}

  /** Runs the example; {@code args[0]}, if given, is where to write the PNG. */
  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    out.println(AlexNetModel.summary());
    out.println();
    out.println(LeNetModel.summary());
    out.println();

    // The file torch.save wrote for d2l's nn.Sequential: keys 0.weight, 3.weight, ... by position.
    LeNetModel lenet = LeNetModel.load(Resources.file("lenet.pt"), WeightNames.sequential());
    FashionMnist test = FashionMnist.testSet();
    out.printf(
        Locale.ROOT,
        "Classifying %,d Fashion-MNIST test images from %s%n",
        test.count(),
        test.source());

    long start = System.nanoTime();
    int[] predicted = classify(lenet, test, out);
    double seconds = (System.nanoTime() - start) / 1e9;

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
        "Throughput: %,.0f images/s (batch %d, %.2f s)%n%n",
        test.count() / seconds,
        BATCH,
        seconds);
    out.println("Per-class accuracy:");
    out.print(confusion.perClassTable());
    out.println();
    out.println("Confusion matrix (rows: true class, columns: predicted):");
    out.print(confusion);

    Path png = Path.of(args.length > 0 ? args[0] : DEFAULT_PNG).toAbsolutePath();
    ImageGrid.write(png, test, predicted, 4, 8);
    out.println();
    out.println("Wrote " + png);
  }

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
      progress(out, from + size, n);
    }
    out.println();
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
