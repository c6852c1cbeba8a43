package dev.stride.example;

import dev.stride.runtime.Model;
import java.util.Arrays;
import java.util.Locale;

/**
 * Prints the layer tables javac computed for the seed's AlexNet and d2l's LeNet, then runs each
 * once on a synthetic image with reproducible random weights.
 */
public final class Main {
  private Main() {}

  /** Runs the example; takes no arguments. */
  public static void main(String[] args) {
    System.out.println(AlexNetModel.summary());
    System.out.println();
    System.out.println(LeNetModel.summary());
    System.out.println();
    run("LeNet", LeNetModel.random(42), LeNetModel.INPUT_SIZE);
    run("AlexNet", AlexNetModel.random(42), AlexNetModel.INPUT_SIZE);
  }

  private static void run(String name, Model model, int inputSize) {
    float[] image = syntheticImage(inputSize);
    long start = System.nanoTime();
    float[] logits = model.forward(image);
    double ms = (System.nanoTime() - start) / 1e6;
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%s, random weights (seed 42): class %d of %d in %.1f ms; logits %s%n",
        name,
        best,
        logits.length,
        ms,
        format(logits));
  }

  /** A smooth diagonal gradient in [0, 1): deterministic, and not all one value. */
  private static float[] syntheticImage(int size) {
    int side = (int) Math.round(Math.sqrt(size));
    float[] image = new float[size];
    for (int i = 0; i < size; i++) {
      image[i] = ((i / side + i % side) % side) / (float) side;
    }
    return image;
  }

  private static String format(float[] values) {
    String[] parts = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      parts[i] = String.format(Locale.ROOT, "%.4f", values[i]);
    }
    return Arrays.toString(parts);
  }
}
