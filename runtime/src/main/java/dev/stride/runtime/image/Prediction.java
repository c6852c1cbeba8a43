package dev.stride.runtime.image;

/**
 * One class of a model's output.
 *
 * @param index the class's position in the output
 * @param label its name, or its index as text when no names were given
 * @param probability its softmax probability
 */
public record Prediction(int index, String label, float probability) {
  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%s (%.1f%%)", label, 100 * probability);
  }
}
