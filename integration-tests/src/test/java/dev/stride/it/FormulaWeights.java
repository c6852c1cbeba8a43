package dev.stride.it;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights and inputs of the block networks' references, computed from (tensor key, element
 * index) exactly as {@code tools/make_block_reference.py} computes them, so that no weights file is
 * committed: a test writes them under the state_dict's own key names ({@link #write}) and loads
 * that file as a user would, through the real file path and {@code WeightNames}.
 *
 * <p>For element i of the tensor named {@code key}:
 *
 * <pre>
 *   x     = fnv1a32(UTF-8 bytes of key) ^ (int) (i * 0x9E3779B1L)
 *   x     = MurmurHash3 fmix32(x)                      int arithmetic, mod 2^32
 *   u     = (x >>> 8) / 2^24                            a double in [0, 1), exact
 *   value = (float) (center + half * (2u - 1))          double arithmetic, one rounding
 * </pre>
 *
 * where (center, half) is the tensor's role ({@link #tensors}); every step is exact or one IEEE
 * rounding, so Python and Java agree bit for bit.
 */
final class FormulaWeights {
  private FormulaWeights() {}

  /** 32-bit FNV-1a of the key's UTF-8 bytes. */
  static int fnv1a(String key) {
    int h = 0x811C9DC5;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x01000193;
    }
    return h;
  }

  /** The i-th uniform of {@code key}'s stream: a multiple of 2^-24 in [0, 1). */
  static double uniform(int keyHash, long i) {
    int x = keyHash ^ (int) (i * 0x9E3779B1L);
    x ^= x >>> 16;
    x *= 0x85EBCA6B;
    x ^= x >>> 13;
    x *= 0xC2B2AE35;
    x ^= x >>> 16;
    return (x >>> 8) / 16777216.0;
  }

  /** {@code n} values {@code (float) (center + half * (2u - 1))} of {@code key}'s stream. */
  static float[] values(String key, int n, double center, double half) {
    int h = fnv1a(key);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (center + half * (2 * uniform(h, i) - 1));
    }
    return v;
  }

  /**
   * Every tensor of a manifest (state_dict names and shapes, in order), by role: for a layer that
   * has a {@code running_var} (BatchNorm), weight and running_var in [0.75, 1.25), bias and
   * running_mean in [-0.1, 0.1); otherwise (convolution, linear) weight uniform in {@code
   * ±sqrt(gain / fanIn)} with fanIn = numel / out, bias in {@code ±sqrt(1 / fanIn)}.
   */
  static LinkedHashMap<String, Tensor> tensors(Map<String, int[]> manifest, double gain) {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : manifest.entrySet()) {
      String key = e.getKey();
      int[] shape = e.getValue();
      int dot = key.lastIndexOf('.');
      String layer = key.substring(0, dot);
      String suffix = key.substring(dot + 1);
      double center;
      double half;
      if (manifest.containsKey(layer + ".running_var")) {
        switch (suffix) {
          case "weight", "running_var" -> {
            center = 1.0;
            half = 0.25;
          }
          case "bias", "running_mean" -> {
            center = 0.0;
            half = 0.1;
          }
          default -> throw new IllegalArgumentException("no formula for " + key);
        }
      } else {
        int[] weight = manifest.get(layer + ".weight");
        if (weight == null) {
          throw new IllegalArgumentException("no " + layer + ".weight for the fan-in of " + key);
        }
        int fanIn = size(weight) / weight[0];
        center = 0.0;
        half =
            switch (suffix) {
              case "weight" -> Math.sqrt(gain / fanIn);
              case "bias" -> Math.sqrt(1.0 / fanIn);
              default -> throw new IllegalArgumentException("no formula for " + key);
            };
      }
      out.put(key, new Tensor(shape.clone(), values(key, size(shape), center, half)));
    }
    return out;
  }

  /**
   * The input batch, (N, ...sample) back to back: sample n is key {@code input#n}, centred on
   * {@code n mod 3 - 1} with half-width 1 (a per-sample mean keeps the outputs apart after global
   * pooling).
   */
  static float[] input(int[] sample, int batch) {
    int size = size(sample);
    float[] x = new float[Math.multiplyExact(size, batch)];
    for (int n = 0; n < batch; n++) {
      float[] s = values("input#" + n, size, n % 3 - 1, 1.0);
      System.arraycopy(s, 0, x, n * size, size);
    }
    return x;
  }

  /** Writes the formula weights of a manifest as a safetensors file under its own names. */
  static Path write(Path file, Map<String, int[]> manifest, double gain) throws IOException {
    Safetensors.write(file, tensors(manifest, gain));
    return file;
  }

  private static final Pattern ENTRY = Pattern.compile("\"([^\"]+)\"\\s*:\\s*\\[([0-9,\\s]*)\\]");

  /**
   * A manifest as {@code make_block_reference.py} writes it, {@code {"conv1.weight": [64, 3, 7, 7],
   * ...}}, in file order.
   */
  static LinkedHashMap<String, int[]> readManifest(Path json) throws IOException {
    String text = Files.readString(json, StandardCharsets.UTF_8);
    LinkedHashMap<String, int[]> manifest = new LinkedHashMap<>();
    Matcher m = ENTRY.matcher(text);
    while (m.find()) {
      manifest.put(m.group(1), parseDims(m.group(2)));
    }
    if (manifest.isEmpty()) {
      throw new IOException(json + ": no \"key\": [dims] entries");
    }
    return manifest;
  }

  /** {@code "64, 3, 7, 7"} or {@code "[64, 3, 7, 7]"} as dims. */
  static int[] parseDims(String text) {
    String inner = text.replace("[", "").replace("]", "").trim();
    if (inner.isEmpty()) {
      return new int[0];
    }
    String[] parts = inner.split(",");
    int[] dims = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      dims[i] = Integer.parseInt(parts[i].trim());
    }
    return dims;
  }

  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }
}
