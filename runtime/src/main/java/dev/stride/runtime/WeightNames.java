package dev.stride.runtime;

import dev.stride.graph.Graph;
import dev.stride.graph.Param;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a weights file names a network's tensors, so that files written by PyTorch load without
 * renaming anything.
 *
 * <p>By default ({@link #fields()}) a tensor is named after its field: {@code conv1.weight}, {@code
 * bn1.running_mean}. A network written in PyTorch as an {@code nn.Sequential}, as d2l's are, names
 * its tensors by position instead: {@code 0.weight}, {@code 3.weight}, because {@code
 * nn.Sequential} counts every module, activations and pooling included. {@link #sequential()} maps
 * the n-th field of the spec (every field counts, in declaration order, exactly as the modules of
 * the {@code nn.Sequential} do) to {@code n}, at every level: a sub-block field is one module,
 * whose own fields are numbered from 0 again, so d2l's VGG and NiN, an {@code nn.Sequential} of
 * {@code nn.Sequential} blocks ({@code 0.0.weight}, {@code 1.3.weight}), load into a spec that
 * writes each block as a {@code @Block} field. {@link #sequential(String)} adds a prefix, for an
 * {@code nn.Sequential} held in an attribute such as {@code self.features}. {@link
 * #stripPrefix(String)} removes a prefix every key of the file carries, such as DataParallel's
 * {@code module.}, {@link #rename(String, String)} names one layer (or sub-block) explicitly, and
 * {@link #replace(String, String)} rewrites every key with a regular expression.
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
 * WeightNames.fields().replace("\\.downsample\\.conv\\.", ".downsample.0.");
 *                                  // layer2.0.downsample.conv.weight -> layer2.0.downsample.0.weight
 * }</pre>
 *
 * <p>{@link #apply} translates a file's keys to field keys. A file that does not fit, with a tensor
 * missing or one left over, gets an {@link IOException} listing the missing and unexpected keys and
 * then every expected and every found key, in the file's naming, and, when another mapping would
 * fit the file's keys exactly, that mapping as the Java that makes it. BatchNorm's {@code
 * num_batches_tracked} is ignored wherever it appears. Instances are immutable; each method returns
 * a new one.
 */
public final class WeightNames {
  private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";

  /** Lists in messages stop after this many keys, so a wholly wrong file stays readable. */
  private static final int MAX_LISTED = 40;

  private final String sequentialPrefix; // null: by field name
  private final boolean inOrder; // by position in the file, names ignored
  private final List<String> stripped;
  private final Map<String, String> renames;
  private final List<Replacement> replacements;

  private record Replacement(String regex, String replacement) {}

  private WeightNames(
      String sequentialPrefix,
      List<String> stripped,
      Map<String, String> renames,
      List<Replacement> replacements) {
    this(sequentialPrefix, false, stripped, renames, replacements);
  }

  private WeightNames(
      String sequentialPrefix,
      boolean inOrder,
      List<String> stripped,
      Map<String, String> renames,
      List<Replacement> replacements) {
    this.sequentialPrefix = sequentialPrefix;
    this.inOrder = inOrder;
    this.stripped = List.copyOf(stripped);
    this.renames = Collections.unmodifiableMap(new LinkedHashMap<>(renames));
    this.replacements = List.copyOf(replacements);
  }

  /** Tensors named after their fields: {@code conv1.weight}. The default. */
  public static WeightNames fields() {
    return new WeightNames(null, List.of(), Map.of(), List.of());
  }

  /**
   * Tensors named by position as in an {@code nn.Sequential}: the n-th field (from 0, every field
   * counting) is {@code n}, so d2l's LeNet's {@code conv1} is {@code 0} and {@code fc1} is {@code
   * 7}. Nested {@code nn.Sequential}s are sub-block fields, numbered at each level: the second
   * field of a block held in the spec's first field is {@code 0.1}, as in d2l's VGG ({@code
   * 0.0.weight}, {@code 1.3.weight}) and NiN. {@code @Repeat} copies keep their numbers.
   */
  public static WeightNames sequential() {
    return sequential("");
  }

  /**
   * As {@link #sequential()}, with every key starting with {@code prefix}, e.g. {@code "features."}
   * for an {@code nn.Sequential} stored as {@code self.features}.
   */
  public static WeightNames sequential(String prefix) {
    return new WeightNames(
        Objects.requireNonNull(prefix, "prefix"), List.of(), Map.of(), List.of());
  }

  /**
   * Tensors matched by position, as {@code load_state_dict} would match two modules built the same
   * way: the network's tensors in forward order (each layer's in PyTorch's order: {@code weight},
   * {@code bias}, {@code running_mean}, {@code running_var}) take the file's float tensors in the
   * file's order, {@code num_batches_tracked} aside, whatever they are called. Every shape is
   * checked, and the first that differs stops the load naming both tensors. For a {@code
   * torch.save} file of a PyTorch module whose layers are declared in the spec's order, as
   * torchvision's {@code mobilenet_v2().state_dict()} into a spec written after it; {@code
   * torch.save} keeps the state_dict's order, while safetensors files written by Python are sorted
   * by name, so load those by names. Saving with these names writes the field keys.
   */
  public static WeightNames inOrder() {
    return new WeightNames(null, true, List.of(), Map.of(), List.of());
  }

  /**
   * These names, after removing {@code prefix} from every file key that starts with it, e.g. {@code
   * "module."} for a model saved from inside {@code nn.DataParallel}.
   */
  public WeightNames stripPrefix(String prefix) {
    byName("stripPrefix");
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("the prefix to strip is empty");
    }
    List<String> s = new ArrayList<>(stripped);
    s.add(prefix);
    return new WeightNames(sequentialPrefix, s, renames, replacements);
  }

  /**
   * These names, except that the layer in field {@code field} is called {@code fileName} in the
   * file (its tensors are {@code fileName.weight}, ...), whatever the rule for the others. {@code
   * field} may also be a sub-block's path ({@code layer2.0.downsample}), which renames the start of
   * every key inside it.
   */
  public WeightNames rename(String field, String fileName) {
    byName("rename");
    if (field.isEmpty() || fileName.isEmpty()) {
      throw new IllegalArgumentException("a rename needs a field and a file name");
    }
    Map<String, String> r = new LinkedHashMap<>(renames);
    r.put(field, fileName);
    return new WeightNames(sequentialPrefix, stripped, r, replacements);
  }

  /**
   * These names, with every key then rewritten by {@code key.replaceAll(regex, replacement)}: for
   * {@link #fields()}, each field key ({@code layer2.0.downsample.conv.weight}) becomes the file's
   * key. Replacements apply in the order they were added, after the other rules.
   *
   * @throws IllegalArgumentException if {@code regex} is not a valid regular expression
   */
  public WeightNames replace(String regex, String replacement) {
    byName("replace");
    Objects.requireNonNull(replacement, "replacement");
    try {
      java.util.regex.Pattern.compile(regex);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException("WeightNames.replace: " + e.getMessage(), e);
    }
    List<Replacement> r = new ArrayList<>(replacements);
    r.add(new Replacement(regex, replacement));
    return new WeightNames(sequentialPrefix, stripped, renames, r);
  }

  /** Refuses a naming rule on {@link #inOrder()}, which ignores names. */
  private void byName(String method) {
    if (inOrder) {
      throw new IllegalStateException(
          "WeightNames.inOrder() matches tensors by position, so ."
              + method
              + "(...) would change"
              + " nothing; name the tensors with fields() or sequential() to use it");
    }
  }

  /**
   * The file key of every tensor the network needs, mapped to its field key, in the network's
   * order: for {@link #sequential()} and LeNet, {@code 0.weight -> conv1.weight}, ....
   *
   * @throws IllegalArgumentException if a rename names no field of {@code network}, or two tensors
   *     would get the same file key
   */
  public LinkedHashMap<String, String> fileKeys(NetworkDef network) {
    List<LayerDef> layers = network.layers();
    for (String field : renames.keySet()) {
      if (layers.stream().noneMatch(l -> within(l.name(), field))) {
        throw new IllegalArgumentException(
            "WeightNames renames '" + field + "', which is not a field of " + network.name());
      }
    }
    Map<String, String> positions = sequentialPrefix == null ? Map.of() : positions(layers);
    LinkedHashMap<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < layers.size(); i++) {
      LayerDef layer = layers.get(i);
      String fileName = renamed(layer.name());
      if (fileName == null) {
        fileName =
            sequentialPrefix == null
                ? layer.name()
                : sequentialPrefix + positions.get(layer.name());
      }
      for (String suffix : suffixes(network, i)) {
        String fieldKey = layer.name() + "." + suffix;
        String fileKey = fileName + "." + suffix;
        for (Replacement r : replacements) {
          fileKey = fileKey.replaceAll(r.regex(), r.replacement());
        }
        String other = keys.put(fileKey, fieldKey);
        if (other != null) {
          throw new IllegalArgumentException(
              this + " names both " + other + " and " + fieldKey + " '" + fileKey + "'");
        }
      }
    }
    return keys;
  }

  /** Whether {@code path} is {@code field} or lies inside it. */
  private static boolean within(String path, String field) {
    return path.equals(field) || path.startsWith(field + ".");
  }

  /** The file name a rename gives {@code path}, the longest matching rename winning; or null. */
  private String renamed(String path) {
    String best = null;
    for (String field : renames.keySet()) {
      if (within(path, field) && (best == null || field.length() > best.length())) {
        best = field;
      }
    }
    return best == null ? null : renames.get(best) + path.substring(best.length());
  }

  /**
   * Each layer's position path, as nested {@code nn.Sequential}s number their modules: at every
   * level, a field's index among its siblings in forward order ({@code b2.conv1 -> 1.0}).
   */
  private static Map<String, String> positions(List<LayerDef> layers) {
    Map<String, Map<String, Integer>> children = new HashMap<>();
    Map<String, String> positions = new HashMap<>();
    for (LayerDef layer : layers) {
      String[] segments = layer.name().split("\\.");
      StringBuilder parent = new StringBuilder();
      StringBuilder position = new StringBuilder();
      for (String segment : segments) {
        Map<String, Integer> siblings =
            children.computeIfAbsent(parent.toString(), k -> new LinkedHashMap<>());
        Integer index = siblings.get(segment);
        if (index == null) {
          index = siblings.size();
          siblings.put(segment, index);
        }
        position.append(position.length() == 0 ? "" : ".").append(index);
        parent.append(parent.length() == 0 ? "" : ".").append(segment);
      }
      positions.put(layer.name(), position.toString());
    }
    return positions;
  }

  /**
   * The file's tensors under their field keys, in the network's order; {@code num_batches_tracked}
   * is dropped. Shapes are not checked here ({@link CompiledNetwork#fromTensors} does that).
   *
   * @throws IOException if a tensor is missing or left over, listing the missing and unexpected
   *     keys, then every expected and every found key, and the mapping that fits if there is one
   */
  public LinkedHashMap<String, Tensor> apply(NetworkDef network, Map<String, Tensor> file)
      throws IOException {
    return apply(network, file, Map.of());
  }

  /**
   * As {@link #apply(NetworkDef, Map)}, where {@code others} describes what the file holds besides
   * its float tensors ({@code "0.weight" -> "int32 tensor"}), so that a needed tensor of another
   * dtype is reported as such rather than as missing.
   */
  LinkedHashMap<String, Tensor> apply(
      NetworkDef network, Map<String, Tensor> file, Map<String, String> others) throws IOException {
    if (inOrder) {
      return byPosition(network, file, others);
    }
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
    Map<String, String> otherByKey = new HashMap<>();
    others.forEach((k, v) -> otherByKey.put(strip(k), k));
    List<String> missing = new ArrayList<>();
    List<String> wrongDtype = new ArrayList<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      if (byFileKey.containsKey(e.getKey())) {
        continue;
      }
      String field = e.getKey().equals(e.getValue()) ? "" : " (" + e.getValue() + ")";
      String other = otherByKey.get(e.getKey());
      if (other != null) {
        String what = others.get(other);
        wrongDtype.add(
            (what.endsWith(" tensor")
                    ? "tensor '" + other + "'" + field + " has dtype " + what.replace(" tensor", "")
                    : "'" + other + "'" + field + " is a " + what + ", not a tensor")
                + ", expected a float tensor (float32, or float16, bfloat16, float64, which are"
                + " converted)");
      } else {
        missing.add(e.getKey() + field);
      }
    }
    if (missing.isEmpty() && unexpected.isEmpty() && !wrongDtype.isEmpty()) {
      throw new IOException(String.join("; ", wrongDtype));
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      StringBuilder m = new StringBuilder();
      m.append("the weights do not fit ").append(network.name()).append(" with ").append(this);
      for (String w : wrongDtype) {
        m.append("\n  ").append(w);
      }
      if (!missing.isEmpty()) {
        m.append("\n  missing: ").append(list(missing));
      }
      if (!unexpected.isEmpty()) {
        m.append("\n  unexpected: ").append(list(unexpected));
      }
      m.append("\n  expected keys: ").append(list(new ArrayList<>(expected.keySet())));
      m.append("\n  found keys: ").append(list(new ArrayList<>(file.keySet())));
      String hint = Suggestion.of(network, file.keySet());
      if (hint != null) {
        m.append("\n  ").append(hint);
      }
      throw new IOException(m.toString());
    }
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : expected.entrySet()) {
      out.put(e.getValue(), byFileKey.get(e.getKey()));
    }
    return out;
  }

  /** {@link #inOrder()}'s match: the n-th tensor of the file is the network's n-th. */
  private LinkedHashMap<String, Tensor> byPosition(
      NetworkDef network, Map<String, Tensor> file, Map<String, String> others) throws IOException {
    List<String> fileKeys = new ArrayList<>();
    for (String key : file.keySet()) {
      if (!key.endsWith(NUM_BATCHES_TRACKED)) {
        fileKeys.add(key);
      }
    }
    List<String> fieldKeys = new ArrayList<>(fileKeys(network).values());
    if (fileKeys.size() != fieldKeys.size()) {
      StringBuilder m = new StringBuilder();
      m.append(this)
          .append(": ")
          .append(network.name())
          .append(" needs ")
          .append(fieldKeys.size())
          .append(" float tensors but the file has ")
          .append(fileKeys.size())
          .append(" (num_batches_tracked aside)");
      if (!others.isEmpty()) {
        m.append(", besides ")
            .append(list(new ArrayList<>(others.keySet())))
            .append(" of other types");
      }
      m.append("\n  expected keys: ").append(list(fieldKeys));
      m.append("\n  found keys: ").append(list(fileKeys));
      throw new IOException(m.toString());
    }
    Map<String, int[]> shapes = new HashMap<>();
    Graph graph = network.graph();
    for (int i = 0; i < graph.nodes().size(); i++) {
      for (Param p : graph.nodes().get(i).kind().parameters(graph.inputShapes(i))) {
        shapes.put(graph.nodes().get(i).path() + "." + p.suffix(), p.shape().dims());
      }
    }
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < fieldKeys.size(); i++) {
      String field = fieldKeys.get(i);
      Tensor t = file.get(fileKeys.get(i));
      int[] shape = shapes.get(field);
      if (!java.util.Arrays.equals(t.shape(), shape)) {
        throw new IOException(
            this
                + ": the file's tensor "
                + (i + 1)
                + ", '"
                + fileKeys.get(i)
                + "', has shape "
                + java.util.Arrays.toString(t.shape())
                + ", but the network's tensor "
                + (i + 1)
                + ", "
                + field
                + ", is "
                + java.util.Arrays.toString(shape)
                + ": the file's order is not the spec's forward order (a safetensors file written"
                + " by Python is sorted by name); declare the layers in the module's order, or"
                + " load by names");
      }
      out.put(field, t);
    }
    return out;
  }

  /** Finds the mapping that fits a file's keys, to say so when the one given does not. */
  private static final class Suggestion {
    /** DataParallel's attribute, and the usual names of a training checkpoint's state_dict. */
    private static final Set<String> WRAPPERS =
        Set.of("module", "model", "state_dict", "model_state_dict", "net_state_dict");

    private Suggestion() {}

    /** A sentence naming a mapping that fits {@code fileKeys}, or null if none is found. */
    static String of(NetworkDef network, Set<String> fileKeys) {
      Set<String> keys = new HashSet<>();
      for (String k : fileKeys) {
        if (!k.endsWith(NUM_BATCHES_TRACKED)) {
          keys.add(k);
        }
      }
      if (keys.isEmpty()) {
        return null;
      }
      WeightNames fits = fitting(network, keys);
      if (fits != null) {
        String strip = fits.stripped.isEmpty() ? null : fits.stripped.get(0);
        String why = "";
        if ("module.".equals(strip)) {
          why = " (the file was saved from nn.DataParallel)";
        } else if (strip != null) {
          why =
              " (the file is a dict holding the state_dict under '"
                  + strip.substring(0, strip.length() - 1)
                  + "')";
        }
        return "these names fit the file: try " + fits + why;
      }
      // A training checkpoint: the state_dict is one entry of a dict that holds more.
      Map<String, Set<String>> byEntry = new LinkedHashMap<>();
      for (String k : keys) {
        int dot = k.indexOf('.');
        if (dot > 0) {
          byEntry.computeIfAbsent(k.substring(0, dot + 1), e -> new HashSet<>()).add(k);
        }
      }
      for (Map.Entry<String, Set<String>> e : byEntry.entrySet()) {
        String entry = e.getKey().substring(0, e.getKey().length() - 1);
        if (byEntry.size() > 1) {
          WeightNames inner = fitting(network, e.getValue());
          if (inner != null) {
            return "the file is a checkpoint dict whose '"
                + entry
                + "' entry fits "
                + inner.stripPrefix(e.getKey())
                + ", but it holds other tensors too: save the state_dict alone, e.g."
                + " torch.save(torch.load(path)['"
                + entry
                + "'], path)";
          }
        }
      }
      String renames = renameChain(network, fileKeys);
      boolean nested = keys.stream().anyMatch(k -> k.matches("(?:.*\\.)?\\d+\\.\\d+\\.\\w+"));
      if (nested) {
        return "the file nests nn.Sequentials (keys like 0.0.weight): write each inner"
            + " nn.Sequential as a @Block field and load with WeightNames.sequential()"
            + (renames == null ? "" : ", or keep this spec and load with " + renames);
      }
      return renames == null ? null : "the layers line up in order: try " + renames;
    }

    /** The first of the usual mappings whose keys are exactly {@code keys}, or null. */
    private static WeightNames fitting(NetworkDef network, Set<String> keys) {
      List<String> common = commonSegments(keys);
      List<Integer> strips = new ArrayList<>();
      for (int strip = 0; strip <= common.size(); strip++) {
        strips.add(strip);
      }
      if (!common.isEmpty() && WRAPPERS.contains(common.get(0))) {
        strips.add(0, strips.remove(1)); // a wrapper's name is stripped, not made a prefix
      }
      for (int strip : strips) {
        String stripped = strip == 0 ? "" : String.join(".", common.subList(0, strip)) + ".";
        List<WeightNames> candidates = new ArrayList<>();
        candidates.add(fields());
        for (int end = strip; end <= common.size(); end++) {
          String prefix = end == strip ? "" : String.join(".", common.subList(strip, end)) + ".";
          candidates.add(sequential(prefix));
        }
        for (WeightNames c : candidates) {
          WeightNames candidate = stripped.isEmpty() ? c : c.stripPrefix(stripped);
          Set<String> want;
          try {
            want = candidate.fileKeys(network).keySet();
          } catch (IllegalArgumentException e) {
            continue;
          }
          Set<String> have = new HashSet<>();
          for (String k : keys) {
            have.add(candidate.strip(k));
          }
          if (have.equals(want)) {
            return candidate;
          }
        }
      }
      return null;
    }

    /** The leading key segments every key shares, less each key's last two. */
    private static List<String> commonSegments(Set<String> keys) {
      List<String> common = null;
      for (String k : keys) {
        String[] parts = k.split("\\.");
        List<String> head = List.of(parts).subList(0, Math.max(parts.length - 2, 0));
        if (common == null) {
          common = new ArrayList<>(head);
        } else {
          int n = 0;
          while (n < common.size() && n < head.size() && common.get(n).equals(head.get(n))) {
            n++;
          }
          common = new ArrayList<>(common.subList(0, n));
        }
      }
      return common == null ? List.of() : common;
    }

    /**
     * {@code WeightNames.fields().rename(...)...}, one rename per layer with tensors, when the
     * file's layers and the network's line up one to one in order with the same tensor names.
     */
    private static String renameChain(NetworkDef network, Set<String> fileKeys) {
      Map<String, Set<String>> fileLayers = new LinkedHashMap<>();
      for (String k : fileKeys) {
        int dot = k.lastIndexOf('.');
        if (dot <= 0 || k.endsWith(NUM_BATCHES_TRACKED)) {
          continue;
        }
        fileLayers
            .computeIfAbsent(k.substring(0, dot), x -> new HashSet<>())
            .add(k.substring(dot + 1));
      }
      List<Integer> withTensors = new ArrayList<>();
      for (int j = 0; j < network.layers().size(); j++) {
        if (!suffixes(network, j).isEmpty()) {
          withTensors.add(j);
        }
      }
      if (withTensors.isEmpty() || withTensors.size() != fileLayers.size()) {
        return null;
      }
      WeightNames names = fields();
      int i = 0;
      for (Map.Entry<String, Set<String>> e : fileLayers.entrySet()) {
        int index = withTensors.get(i++);
        LayerDef layer = network.layers().get(index);
        if (!e.getValue().equals(new HashSet<>(suffixes(network, index)))) {
          return null;
        }
        if (!e.getKey().equals(layer.name())) {
          names = names.rename(layer.name(), e.getKey());
        }
      }
      return names.toString();
    }
  }

  private String strip(String key) {
    for (String prefix : stripped) {
      if (key.startsWith(prefix)) {
        key = key.substring(prefix.length());
      }
    }
    return key;
  }

  private static String list(List<String> keys) {
    String shown = String.join(", ", keys.subList(0, Math.min(keys.size(), MAX_LISTED)));
    return keys.size() + " (" + shown + (keys.size() > MAX_LISTED ? ", ..." : "") + ")";
  }

  /**
   * The suffixes of the tensors PyTorch's {@code state_dict()} holds for node {@code i}, less those
   * inference does not read (num_batches_tracked), as its layer kind's parameter schema lists them.
   */
  static List<String> suffixes(NetworkDef network, int i) {
    Graph graph = network.graph();
    List<String> suffixes = new ArrayList<>();
    for (Param p : graph.nodes().get(i).kind().parameters(graph.inputShapes(i))) {
      suffixes.add(p.suffix());
    }
    return suffixes;
  }

  /** Written as the Java that makes it, e.g. {@code WeightNames.sequential("features.")}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("WeightNames.");
    if (inOrder) {
      return s.append("inOrder()").toString();
    }
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
        (f, n) -> s.append(".rename(").append(quote(f)).append(", ").append(quote(n)).append(")"));
    for (Replacement r : replacements) {
      s.append(".replace(")
          .append(quote(r.regex()))
          .append(", ")
          .append(quote(r.replacement()))
          .append(")");
    }
    return s.toString();
  }

  /** {@code text} as a Java string literal. */
  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WeightNames w
        && inOrder == w.inOrder
        && Objects.equals(sequentialPrefix, w.sequentialPrefix)
        && stripped.equals(w.stripped)
        && renames.equals(w.renames)
        && replacements.equals(w.replacements);
  }

  @Override
  public int hashCode() {
    return Objects.hash(inOrder, sequentialPrefix, stripped, renames, replacements);
  }
}
