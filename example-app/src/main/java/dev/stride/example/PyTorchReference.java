package dev.stride.example;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What PyTorch computed with the same weights (tools/train_lenet.py wrote it to {@code
 * lenet-reference.json}): its predicted class for each of the 10,000 test images, in order.
 *
 * @param predictions one digit per test image
 */
public record PyTorchReference(String predictions) {
  /** Reads the reference shipped with the example. */
  public static PyTorchReference shipped() throws IOException {
    String json = Resources.text("lenet-reference.json");
    Matcher m = Pattern.compile("\"predictions\"\\s*:\\s*\"([0-9]*)\"").matcher(json);
    if (!m.find()) {
      throw new IOException("lenet-reference.json has no \"predictions\" string");
    }
    return new PyTorchReference(m.group(1));
  }

  /** PyTorch's predicted class for test image {@code i}. */
  public int prediction(int i) {
    return predictions.charAt(i) - '0';
  }

  /** PyTorch's accuracy on the first {@code labels.length} test images. */
  public double accuracy(byte[] labels) {
    if (labels.length > predictions.length()) {
      throw new IllegalArgumentException(
          "PyTorch predicted " + predictions.length() + " images, not " + labels.length);
    }
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      correct += prediction(i) == labels[i] ? 1 : 0;
    }
    return correct / (double) labels.length;
  }
}
