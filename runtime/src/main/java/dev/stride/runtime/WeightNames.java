package dev.stride.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a weights file names a network's tensors, so that files written by PyTorch load without
 * renaming anything.
 *
 * <p>By default ({@link #fields()}) a tensor is named after its field: {@code conv1.weight}, {@code
 * bn1.running_mean}. A network written in PyTorch as an {@code nn.Sequential}, as d2l's are, names
 * its tensors by position instead: {@code 0.weight}, {@code 3.weight}, because {@code
 * nn.Sequential} counts every module, activations and pooling included. {@link #sequential()} maps
 * the n-th field of the spec (every field counts, in declaration order, exactly as the modules of
 * the {@code nn.Sequential} do) to {@code n}; {@link #sequential(String)} adds a prefix, for an
 * {@code nn.Sequential} held in an attribute such as {@code self.features}. {@link
 * #stripPrefix(String)} removes a prefix every key of the file carries, such as DataParallel's
 * {@code module.}, and {@link #rename(String, String)} names one layer explicitly.
 *
 * <pre>{@code
 * // PyTorch (d2l): net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), ...)
 * //               torch.save(net.state_dict(), "lenet.pt")      # keys 0.weight, 0.bias, 3.weight, ...
 * // Java: LeNet's fields are conv1, act1, pool1, conv2, ...: conv1 is module 0, conv2 is module 3.
 * NetworkDef lenet = ...;   // the table a generated LeNetModel declares
 * Map<String, Tensor> w = WeightsFile.read(Path.of("lenet.pt"), lenet, WeightNames.sequential());
 * w.keySet();   // [conv1.weight, conv1.bias, conv2.weight, ..., fc3.bias]: field keys
 * CompiledNetwork net = CompiledNetwork.fromTensors(lenet, w);
 *
 * WeightNames.sequential("features.");                   // features.0.weight -> conv1.weight
 * WeightNames.fields().stripPrefix("module.");           // module.conv1.weight -> conv1.weight
 * WeightNames.fields().rename("fc3", "classifier.6");    // classifier.6.weight -> fc3.weight
 * }</pre>
 *
 * <p>{@link #apply} translates a file's keys to field keys. A file that does not fit, with a tensor
 * missing or one left over, gets an {@link IOException} listing the missing and unexpected keys and
 * then every expected and every found key, in the file's naming. BatchNorm's {@code
 * num_batches_tracked} is ignored wherever it appears. Instances are immutable; each method returns
 * a new one.
 */
public final class WeightNames {
  private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";

  /** Lists in messages stop after this many keys, so a wholly wrong file stays readable. */
  private static final int MAX_LISTED = 40;

  private final String sequentialPrefix; // null: by field name
  private final List<String> stripped;
  private final Map<String, String> renames;

  private WeightNames(String sequentialPrefix, List<String> stripped, Map<String, String> renames) {
    this.sequentialPrefix = sequentialPrefix;
    this.stripped = List.copyOf(stripped);
    this.renames = Collections.unmodifiableMap(new LinkedHashMap<>(renames));
  }

  /** Tensors named after their fields: {@code conv1.weight}. The default. */
  public static WeightNames fields() {
    return new WeightNames(null, List.of(), Map.of());
  }

  /**
   * Tensors named by position as in an {@code nn.Sequential}: the n-th field (from 0, every field
   * counting) is {@code n}, so d2l's LeNet's {@code conv1} is {@code 0} and {@code fc1} is {@code
   * 7}.
   */
  public static WeightNames sequential() {
    return sequential("");
  }

  /**
   * As {@link #sequential()}, with every key starting with {@code prefix}, e.g. {@code "features."}
   * for an {@code nn.Sequential} stored as {@code self.features}.
   */
  public static WeightNames sequential(String prefix) {
    return new WeightNames(Objects.requireNonNull(prefix, "prefix"), List.of(), Map.of());
  }

  /**
   * These names, after removing {@code prefix} from every file key that starts with it, e.g. {@code
   * "module."} for a model saved from inside {@code nn.DataParallel}.
   */
  public WeightNames stripPrefix(String prefix) {
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("the prefix to strip is empty");
    }
    List<String> s = new ArrayList<>(stripped);
    s.add(prefix);
    return new WeightNames(sequentialPrefix, s, renames);
  }

  /**
   * These names, except that the layer in field {@code field} is called {@code fileName} in the
   * file (its tensors are {@code fileName.weight}, ...), whatever the rule for the others.
   */
  public WeightNames rename(String field, String fileName) {
    if (field.isEmpty() || fileName.isEmpty()) {
      throw new IllegalArgumentException("a rename needs a field and a file name");
    }
    Map<String, String> r = new LinkedHashMap<>(renames);
    r.put(field, fileName);
    return new WeightNames(sequentialPrefix, stripped, r);
  }

  /**
   * The file key of every tensor the network needs, mapped to its field key, in the network's
   * order: for {@link #sequential()} and LeNet, {@code 0.weight -> conv1.weight}, ....
   *
   * @throws IllegalArgumentException if a rename names no field of {@code network}
   */
  public LinkedHashMap<String, String> fileKeys(NetworkDef network) {
    List<LayerDef> layers = network.layers();
    for (String field : renames.keySet()) {
      if (layers.stream().noneMatch(l -> l.name().equals(field))) {
        throw new IllegalArgumentException(
            "WeightNames renames '" + field + "', which is not a field of " + network.name());
      }
    }
    LinkedHashMap<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      LayerDef layer = layers.get(i);
      String fileName = renames.get(layer.name());
      if (fileName == null) {
        fileName = sequentialPrefix == null ? layer.name() : sequentialPrefix + i;
      }
      for (String suffix : suffixes(layer)) {
        keys.put(fileName + "." + suffix, layer.name() + "." + suffix);
      }
    }
    return keys;
  }

  /**
   * The file's tensors under their field keys, in the network's order; {@code num_batches_tracked}
   * is dropped. Shapes are not checked here ({@link CompiledNetwork#fromTensors} does that).
   *
   * @throws IOException if a tensor is missing or left over, listing the missing and unexpected
   *     keys, then every expected and every found key
   */
  public LinkedHashMap<String, Tensor> apply(NetworkDef network, Map<String, Tensor> file)
      throws IOException {
    LinkedHashMap<String, String> expected = fileKeys(network);
    Map<String, Tensor> byFileKey = new LinkedHashMap<>();
    List<String> unexpected = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : file.entrySet()) {
      String key = strip(e.getKey());
      if (key.endsWith(NUM_BATCHES_TRACKED)) {
        continue;
      }
      if (expected.containsKey(key) && !byFileKey.containsKey(key)) {
        byFileKey.put(key, e.getValue());
      } else {
        unexpected.add(e.getKey());
      }
    }
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      if (!byFileKey.containsKey(e.getKey())) {
        missing.add(
            e.getKey().equals(e.getValue()) ? e.getKey() : e.getKey() + " (" + e.getValue() + ")");
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      StringBuilder m = new StringBuilder();
      m.append("the weights do not fit ").append(network.name()).append(" with ").append(this);
      if (!missing.isEmpty()) {
        m.append("\n  missing: ").append(list(missing));
      }
      if (!unexpected.isEmpty()) {
        m.append("\n  unexpected: ").append(list(unexpected));
      }
      m.append("\n  expected keys: ").append(list(new ArrayList<>(expected.keySet())));
      m.append("\n  found keys: ").append(list(new ArrayList<>(file.keySet())));
      if (sequentialPrefix == null && looksSequential(file)) {
        m.append(
            "\n  the file names tensors by position, as nn.Sequential does:"
                + " try WeightNames.sequential()");
      }
      throw new IOException(m.toString());
    }
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      out.put(e.getValue(), byFileKey.get(e.getKey()));
    }
    return out;
  }

  private String strip(String key) {
    for (String prefix : stripped) {
      if (key.startsWith(prefix)) {
        key = key.substring(prefix.length());
      }
    }
    return key;
  }

  private static boolean looksSequential(Map<String, Tensor> file) {
    return !file.isEmpty()
        && file.keySet().stream().allMatch(k -> k.matches("(?:[A-Za-z_]\\w*\\.)*\\d+\\.\\w+"));
  }

  private static String list(List<String> keys) {
    String shown = String.join(", ", keys.subList(0, Math.min(keys.size(), MAX_LISTED)));
    return keys.size() + " (" + shown + (keys.size() > MAX_LISTED ? ", ..." : "") + ")";
  }

  /** The tensors PyTorch's {@code state_dict()} holds for a layer, less num_batches_tracked. */
  static List<String> suffixes(LayerDef layer) {
    if (layer instanceof LayerDef.Conv2d c) {
      return c.bias() ? List.of("weight", "bias") : List.of("weight");
    }
    if (layer instanceof LayerDef.Linear l) {
      return l.bias() ? List.of("weight", "bias") : List.of("weight");
    }
    if (layer instanceof LayerDef.BatchNorm) {
      return List.of("weight", "bias", "running_mean", "running_var");
    }
    return List.of();
  }

  /** Written as the Java that makes it, e.g. {@code WeightNames.sequential("features.")}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("WeightNames.");
    if (sequentialPrefix == null) {
      s.append("fields()");
    } else if (sequentialPrefix.isEmpty()) {
      s.append("sequential()");
    } else {
      s.append("sequential(\"").append(sequentialPrefix).append("\")");
    }
    for (String p : stripped) {
      s.append(".stripPrefix(\"").append(p).append("\")");
    }
    renames.forEach(
        (f, n) -> s.append(".rename(\"").append(f).append("\", \"").append(n).append("\")"));
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightNames w
        && Objects.equals(sequentialPrefix, w.sequentialPrefix)
        && stripped.equals(w.stripped)
        && renames.equals(w.renames);
  }

  @Override
  public int hashCode() {
    return Objects.hash(sequentialPrefix, stripped, renames);
  }
}
