package dev.stride.runtime;

import dev.stride.graph.Graph;
import dev.stride.graph.Param;
import dev.stride.runtime.torch.TorchCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads weights from a file in either format PyTorch users have, chosen by the file's content,
 * never its name: a {@code torch.save(model.state_dict(), path)} checkpoint (a zip archive, see
 * {@link TorchCheckpoint}) or safetensors (see {@link Safetensors}).
 *
 * <pre>{@code
 * Map<String, Tensor> all = WeightsFile.read(Path.of("lenet.pt"));          // the file's own keys
 * Map<String, Tensor> byField =
 *     WeightsFile.read(Path.of("lenet.pt"), network, WeightNames.sequential()); // conv1.weight, ...
 * }</pre>
 *
 * <p>Either way the tensors come back as float32 (F16, BF16 and F64 converted) in the file's order,
 * and tensors of other dtypes, such as BatchNorm's int64 {@code num_batches_tracked}, are left out.
 */
public final class WeightsFile {
  /**
   * A zip archive's local file header, which every torch.save file since PyTorch 1.6 starts with.
   */
  private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

  /** A pickle's PROTO 2 opcode, which legacy torch.save files start with. */
  private static final byte[] PICKLE_MAGIC = {(byte) 0x80, 0x02};

  private static final Set<String> FLOAT_DTYPES = Set.of("F32", "F16", "BF16", "F64");

  private WeightsFile() {}

  /** The formats {@link #read} tells apart. */
  public enum Format {
    /** A {@code torch.save} file: a zip archive, or a legacy pickle (which is refused). */
    TORCH,
    /** Safetensors: an 8-byte header length, a JSON header, raw data. */
    SAFETENSORS
  }

  /**
   * Which format {@code path} holds, from its first bytes: a zip or pickle signature means torch,
   * anything else is taken for safetensors (whose reader checks it thoroughly).
   */
  public static Format detect(Path path) throws IOException {
    checkFile(path);
    byte[] head;
    try (InputStream in = Files.newInputStream(path)) {
      head = in.readNBytes(4);
    }
    if (startsWith(head, ZIP_MAGIC) || startsWith(head, PICKLE_MAGIC)) {
      return Format.TORCH;
    }
    return Format.SAFETENSORS;
  }

  /**
   * Every float tensor in {@code path}, under the file's own keys, converted to float32.
   *
   * @throws IOException if the file is unreadable, malformed, or (for torch) names anything beyond
   *     a state_dict's contents
   */
  public static LinkedHashMap<String, Tensor> read(Path path) throws IOException {
    if (detect(path) == Format.TORCH) {
      return TorchCheckpoint.read(path);
    }
    Safetensors.Header header = Safetensors.readHeader(path);
    Set<String> floats = new HashSet<>();
    for (Safetensors.Entry e : header.entries()) {
      if (FLOAT_DTYPES.contains(e.dtype())) {
        floats.add(e.name());
      }
    }
    return new LinkedHashMap<>(Safetensors.read(path, floats::contains));
  }

  /**
   * The tensors {@code network} needs, read from {@code path} and renamed from the file's keys to
   * field keys by {@code names}, in the network's order; shapes are checked when they are given to
   * {@link CompiledNetwork#fromTensors}.
   *
   * @throws IOException as {@link #read}, or naming the missing and unexpected keys if the file's
   *     tensors do not match the network's
   */
  public static LinkedHashMap<String, Tensor> read(Path path, NetworkDef network, WeightNames names)
      throws IOException {
    Map<String, Tensor> file;
    Map<String, String> others = new LinkedHashMap<>();
    if (detect(path) == Format.TORCH) {
      TorchCheckpoint checkpoint = TorchCheckpoint.load(path);
      file = checkpoint.tensors();
      others.putAll(checkpoint.skipped());
    } else {
      for (Safetensors.Entry e : Safetensors.readHeader(path).entries()) {
        if (!FLOAT_DTYPES.contains(e.dtype())) {
          others.put(e.name(), e.dtype() + " tensor");
        }
      }
      file = read(path);
    }
    try {
      LinkedHashMap<String, Tensor> tensors = names.apply(network, file, others);
      checkShapes(network, names, tensors);
      return tensors;
    } catch (IOException e) {
      throw new IOException(path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Throws an {@link IOException} naming {@code path} if it is a directory: reading one fails with
   * the operating system's bare "Is a directory", which names nothing.
   */
  static void checkFile(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new IOException(path + " is a directory, not a weights file");
    }
  }

  /** Every tensor's shape against the network's, all mismatches in one message. */
  private static void checkShapes(
      NetworkDef network, WeightNames names, Map<String, Tensor> tensors) throws IOException {
    Map<String, String> fileKeyOf = new LinkedHashMap<>();
    names.fileKeys(network).forEach((file, field) -> fileKeyOf.put(field, file));
    List<String> wrong = new ArrayList<>();
    Graph graph = network.graph();
    for (int i = 0; i < graph.nodes().size(); i++) {
      for (Param p : graph.nodes().get(i).kind().parameters(graph.inputShapes(i))) {
        String field = graph.nodes().get(i).path() + "." + p.suffix();
        int[] expected = p.shape().dims();
        Tensor t = tensors.get(field);
        if (t != null && !Arrays.equals(t.shape(), expected)) {
          String file = fileKeyOf.get(field);
          wrong.add(
              "tensor '"
                  + file
                  + "'"
                  + (file.equals(field) ? "" : " (" + field + ")")
                  + " has shape "
                  + Arrays.toString(t.shape())
                  + ", expected "
                  + Arrays.toString(expected));
        }
      }
    }
    if (!wrong.isEmpty()) {
      throw new IOException(network.name() + " weights do not fit: " + String.join("; ", wrong));
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }
}
