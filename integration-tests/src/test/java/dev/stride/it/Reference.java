package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One network's PyTorch reference, made by {@code tools/make_reference.py}: {@code
 * <net>.io.safetensors} (input and eval-mode output), {@code <net>.properties} (parameter count,
 * per-layer shapes, state_dict names) and, for small networks, {@code <net>.weights.safetensors}.
 */
final class Reference {
  /**
   * The one tolerance of every parity test: {@code |java - torch| <= TOLERANCE * scale} per
   * element, where scale is the largest {@code |torch output|} of the network's reference batch.
   */
  static final double TOLERANCE = 1e-4;

  private static final String DIR = "/reference/";

  final String name;
  final Properties properties;

  /** (N, C, H, W) or (N, F), back to back. */
  final float[] input;

  /** (N, F), back to back. */
  final float[] output;

  final int batch;
  final int inputSize;
  final int outputSize;

  private Reference(String name, Properties properties, Tensor input, Tensor output) {
    this.name = name;
    this.properties = properties;
    this.input = input.data();
    this.output = output.data();
    this.batch = input.shape()[0];
    this.inputSize = this.input.length / batch;
    this.outputSize = this.output.length / batch;
    assertEquals(batch, output.shape()[0], name + ": input and output batch");
    assertEquals(batch, Integer.parseInt(properties.getProperty("batch")), name + ": batch");
  }

  /** Loads {@code <name>.io.safetensors} and {@code <name>.properties}. */
  static Reference load(String name) {
    try {
      Properties properties = new Properties();
      try (InputStream in = Reference.class.getResourceAsStream(DIR + name + ".properties")) {
        if (in == null) {
          throw new IOException("missing resource " + DIR + name + ".properties");
        }
        properties.load(in);
      }
      Map<String, Tensor> io = Safetensors.read(resource(name + ".io.safetensors"));
      return new Reference(name, properties, io.get("input"), io.get("output"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A block network's reference, made by {@code tools/make_block_reference.py}: {@code
   * blocks/<name>.properties} and {@code blocks/<name>.output.safetensors}; the input is not
   * committed but computed by {@link FormulaWeights#input}, as the script computed it.
   */
  static Reference loadFormula(String name) {
    try {
      Properties properties = new Properties();
      String file = DIR + "blocks/" + name + ".properties";
      try (InputStream in = Reference.class.getResourceAsStream(file)) {
        if (in == null) {
          throw new IOException("missing resource " + file);
        }
        properties.load(in);
      }
      int batch = Integer.parseInt(properties.getProperty("batch"));
      int[] sample = FormulaWeights.parseDims(properties.getProperty("input"));
      int[] shape = new int[sample.length + 1];
      shape[0] = batch;
      System.arraycopy(sample, 0, shape, 1, sample.length);
      Tensor input = new Tensor(shape, FormulaWeights.input(sample, batch));
      Tensor output =
          Safetensors.read(resource("blocks/" + name + ".output.safetensors")).get("output");
      return new Reference(name, properties, input, output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The formula's weight gain for this network ({@code weightGain}). */
  double weightGain() {
    return Double.parseDouble(properties.getProperty("weightGain"));
  }

  /** The state_dict names and shapes, in order, without {@code num_batches_tracked}. */
  LinkedHashMap<String, int[]> manifest() {
    LinkedHashMap<String, int[]> manifest = new LinkedHashMap<>();
    for (String tensor : tensors()) {
      manifest.put(tensor, FormulaWeights.parseDims(tensorShape(tensor)));
    }
    return manifest;
  }

  /**
   * The state_dict module names of every convolution, batch norm and linear layer, in the order
   * PyTorch ran them (block references only).
   */
  List<String> modules() {
    return List.of(properties.getProperty("modules").split(","));
  }

  /** A committed reference file, as a path (the test classpath is a directory). */
  static Path resource(String file) {
    URL url = Reference.class.getResource(DIR + file);
    if (url == null) {
      throw new IllegalStateException("missing test resource " + DIR + file);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code <name>.weights.safetensors}: the PyTorch state_dict under the spec's field names. */
  Path weights() {
    return resource(name + ".weights.safetensors");
  }

  long parameterCount() {
    return Long.parseLong(properties.getProperty("parameterCount"));
  }

  /** Multiply-adds per sample over convolutions and linear layers, without the bias additions. */
  long multiplyAdds() {
    return Long.parseLong(properties.getProperty("multiplyAdds"));
  }

  /** The bias additions per sample, which some counts of multiply-adds include. */
  long biasAdds() {
    return Long.parseLong(properties.getProperty("biasAdds"));
  }

  /** The spec's field names in order (PyTorch's module names). */
  List<String> layers() {
    return List.of(properties.getProperty("layers").split(","));
  }

  /** PyTorch's output shape of one sample after {@code layer}, written {@code [96, 54, 54]}. */
  String shape(String layer) {
    return properties.getProperty("shape." + layer);
  }

  /** The state_dict names without {@code num_batches_tracked}, in order. */
  List<String> tensors() {
    return List.of(properties.getProperty("tensors").split(","));
  }

  /** A state_dict tensor's shape, written {@code [96, 1, 11, 11]}. */
  String tensorShape(String tensor) {
    return properties.getProperty("tensor." + tensor);
  }

  float[] inputSample(int n) {
    return Arrays.copyOfRange(input, n * inputSize, (n + 1) * inputSize);
  }

  float[] outputSample(int n) {
    return Arrays.copyOfRange(output, n * outputSize, (n + 1) * outputSize);
  }

  /** The output's scale: the largest {@code |torch output|} over the whole batch. */
  double scale() {
    double scale = 0;
    for (float v : output) {
      scale = Math.max(scale, Math.abs(v));
    }
    return scale;
  }

  /**
   * Asserts that {@code actual} matches PyTorch's {@code expected} within {@link #TOLERANCE} of the
   * output's scale; the failure names the worst element.
   */
  void assertMatches(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, name + " " + what + ": output length");
    double scale = scale();
    if (!(scale > 0)) {
      fail(name + ": the reference output is all zeros, so it can check nothing");
    }
    double limit = TOLERANCE * scale;
    int worst = -1;
    double worstDiff = -1;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) actual[i] - expected[i]);
      if (Double.isNaN(diff)) {
        diff = Double.POSITIVE_INFINITY;
      }
      if (diff > worstDiff) {
        worstDiff = diff;
        worst = i;
      }
    }
    if (worstDiff > limit) {
      fail(
          String.format(
              "%s %s: worst element [sample %d, feature %d]: java %s vs torch %s, |diff| %.3e"
                  + " > %.0e x scale %.4g = %.3e (%.1fx the tolerance)",
              name,
              what,
              worst / outputSize,
              worst % outputSize,
              actual[worst],
              expected[worst],
              worstDiff,
              TOLERANCE,
              scale,
              limit,
              worstDiff / limit));
    }
  }

  /** Asserts bit-for-bit equal outputs, e.g. before and after a save/load round trip. */
  void assertIdentical(String what, float[] expected, float[] actual) {
    assertArrayEquals(expected, actual, name + " " + what);
  }
}
