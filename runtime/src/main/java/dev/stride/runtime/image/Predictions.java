package dev.stride.runtime.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Logits to probabilities and the most likely classes, as {@code torch.softmax(logits, 0)} and
 * {@code torch.topk} give them.
 *
 * <pre>{@code
 * float[] logits = model.forward(input);
 * List<Prediction> top = Predictions.top(logits, 3, CLASSES); // [pullover (91.2%), shirt (6.1%), ...]
 * }</pre>
 */
public final class Predictions {
  private Predictions() {}

  /**
   * {@code exp(x_i - max) / sum_j exp(x_j - max)} over all of {@code logits}; subtracting the
   * maximum keeps large logits from overflowing.
   *
   * @throws IllegalArgumentException if {@code logits} is empty
   */
  public static float[] softmax(float[] logits) {
    return softmax(logits, 0, logits.length);
  }

  /**
   * The softmax of {@code length} logits from {@code offset}, e.g. one sample of a batch's output.
   *
   * @throws IllegalArgumentException if the range is empty or outside {@code logits}
   */
  public static float[] softmax(float[] logits, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, logits.length);
    if (length == 0) {
      throw new IllegalArgumentException("softmax of no logits");
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < length; i++) {
      max = Math.max(max, logits[offset + i]);
    }
    double[] e = new double[length];
    double sum = 0;
    for (int i = 0; i < length; i++) {
      e[i] = Math.exp((double) logits[offset + i] - max);
      sum += e[i];
    }
    float[] p = new float[length];
    for (int i = 0; i < length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }

  /**
   * The {@code k} most likely classes of one sample's logits, most likely first (the lower index
   * first on ties), with their softmax probabilities and names.
   *
   * @param labels the class names in output order, or an empty list for indices as names
   * @throws IllegalArgumentException if {@code k} is not in {@code [1, logits.length]}, or {@code
   *     labels} is neither empty nor as long as {@code logits}
   */
  public static List<Prediction> top(float[] logits, int k, List<String> labels) {
    if (!labels.isEmpty() && labels.size() != logits.length) {
      throw new IllegalArgumentException(
          "expected " + logits.length + " class names, one per output, but got " + labels.size());
    }
    if (k < 1 || k > logits.length) {
      throw new IllegalArgumentException(
          "k = " + k + ", but the output has " + logits.length + " classes");
    }
    float[] p = softmax(logits);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < p.length; i++) {
      order.add(i);
    }
    // Ranked by logit, which ties less often than the rounded probabilities.
    order.sort((a, b) -> Float.compare(logits[b], logits[a])); // stable: lower index first on ties
    List<Prediction> top = new ArrayList<>(k);
    for (int i : order.subList(0, k)) {
      top.add(new Prediction(i, labels.isEmpty() ? Integer.toString(i) : labels.get(i), p[i]));
    }
    return top;
  }

  /** As {@link #top(float[], int, List)} with the indices as names. */
  public static List<Prediction> top(float[] logits, int k) {
    return top(logits, k, List.of());
  }

  /** The index of the largest logit, the first on ties: {@code torch.argmax}. */
  public static int argmax(float[] logits) {
    if (logits.length == 0) {
      throw new IllegalArgumentException("argmax of no logits");
    }
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }
}
