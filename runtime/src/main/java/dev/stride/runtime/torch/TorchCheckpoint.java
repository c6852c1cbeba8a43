package dev.stride.runtime.torch;

import dev.stride.runtime.Safetensors;
import dev.stride.runtime.Tensor;
import dev.stride.runtime.torch.StateDictUnpickler.PyDict;
import dev.stride.runtime.torch.StateDictUnpickler.StorageRef;
import dev.stride.runtime.torch.StateDictUnpickler.TensorRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads what {@code torch.save(model.state_dict(), path)} writes (the zip format PyTorch has used
 * since 1.6): float tensors converted to float32, in the state_dict's order.
 *
 * <pre>{@code
 * Map<String, Tensor> weights = TorchCheckpoint.read(Path.of("lenet.pt"));
 * weights.get("0.weight").shape();   // [6, 1, 5, 5]
 * }</pre>
 *
 * <p>The archive's {@code data.pkl} is read by a strict pickle reader that builds only dicts,
 * OrderedDicts and tensors rebuilt from their storages; a pickle naming any other global (such as
 * {@code posix.system}) is refused with an {@link IOException} naming it, and nothing in the file
 * is ever run. Tensors may be views: several may share one storage, start at an offset, or be
 * non-contiguous (a transpose, a strided slice, an expanded tensor); each is copied out in
 * row-major order after its offset, sizes and strides are checked against its storage.
 *
 * <p>float32, float16, bfloat16 and float64 tensors are returned, the last three converted to
 * float32 (float64 rounded to nearest, as {@code tensor.float()} does). Tensors of other dtypes,
 * such as BatchNorm's int64 {@code num_batches_tracked}, are not returned: {@link #load} lists them
 * in {@link #skipped()}. Non-tensor values (numbers, strings) are skipped the same way, and a dict
 * nested in the checkpoint, such as {@code {'model': state_dict, 'epoch': 3}}, contributes its
 * tensors under dotted keys ({@code model.0.weight}); entries of a nested dict whose keys are not
 * strings, such as an optimizer's state keyed by parameter index, are skipped.
 *
 * <p>Every problem is an {@link IOException} naming the file and, where there is one, the tensor: a
 * truncated or corrupt archive, a missing or short storage, sizes or strides beyond the storage, a
 * big-endian archive, and files in the legacy format of PyTorch before 1.6, which are recognised
 * and refused with a message saying how to re-save them.
 */
public final class TorchCheckpoint {
  /**
   * {@code data.pkl} larger than this is refused; a state_dict of thousands of tensors is ~1 MB.
   */
  static final int MAX_PICKLE_BYTES = 64 << 20;

  /** The largest Java array. */
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Nested dicts deeper than this are refused (a dict can contain itself through the memo). */
  private static final int MAX_DEPTH = 16;

  /** DEFLATE cannot expand data by more than about 1032 times. */
  private static final long MAX_DEFLATE_RATIO = 1032;

  /** The pickle that opens a legacy torch.save file: PROTO 2, LONG1 of torch's magic number. */
  private static final byte[] LEGACY_MAGIC = {
    (byte) 0x80,
    0x02,
    (byte) 0x8a,
    0x0a,
    0x6c,
    (byte) 0xfc,
    (byte) 0x9c,
    0x46,
    (byte) 0xf9,
    0x20,
    0x6a,
    (byte) 0xa8,
    0x50,
    0x19
  };

  private final LinkedHashMap<String, Tensor> tensors;
  private final Map<String, String> skipped;

  private TorchCheckpoint(LinkedHashMap<String, Tensor> tensors, Map<String, String> skipped) {
    this.tensors = tensors;
    this.skipped = Collections.unmodifiableMap(skipped);
  }

  /**
   * The float tensors of a {@code torch.save} file, converted to float32, in the file's order.
   *
   * @throws IOException if the file is not a readable checkpoint, names a forbidden global, or a
   *     tensor does not fit its storage
   */
  public static LinkedHashMap<String, Tensor> read(Path path) throws IOException {
    return load(path).tensors;
  }

  /**
   * Reads a {@code torch.save} file, keeping the names of what was skipped.
   *
   * @throws IOException as {@link #read}
   */
  public static TorchCheckpoint load(Path path) throws IOException {
    if (isLegacy(path)) {
      throw new IOException(
          path
              + " is a torch.save file in the legacy format (PyTorch before 1.6, or"
              + " _use_new_zipfile_serialization=False), which Stride does not read: re-save it"
              + " with PyTorch 1.6 or newer (torch.save(torch.load(path), path)) or export"
              + " safetensors");
    }
    try (ZipFile zip = open(path)) {
      return new Reader(path, zip, Files.size(path)).read();
    } catch (RuntimeException e) {
      // java.util.zip reports some corrupt archives with unchecked exceptions.
      throw new IOException(path + ": corrupt zip archive (" + e + ")", e);
    }
  }

  /** The float tensors, converted to float32, in the file's order; the map is a fresh copy. */
  public LinkedHashMap<String, Tensor> tensors() {
    return new LinkedHashMap<>(tensors);
  }

  /**
   * What the file holds but {@link #tensors()} does not, by key: e.g. {@code
   * "1.num_batches_tracked" -> "int64 tensor"} or {@code "epoch" -> "int"}.
   */
  public Map<String, String> skipped() {
    return skipped;
  }

  /** Whether {@code path} starts like a legacy (pre-1.6) torch.save file. */
  static boolean isLegacy(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      // Reading one fails with the system's bare "Is a directory", which names nothing.
      throw new IOException(path + " is a directory, not a torch.save file");
    }
    try (InputStream in = Files.newInputStream(path)) {
      return Arrays.equals(in.readNBytes(LEGACY_MAGIC.length), LEGACY_MAGIC);
    }
  }

  private static ZipFile open(Path path) throws IOException {
    try {
      return new ZipFile(path.toFile(), StandardCharsets.UTF_8);
    } catch (java.util.zip.ZipException e) {
      throw new IOException(path + " is not a torch.save zip archive (" + e.getMessage() + ")", e);
    }
  }

  /** One file's reading: the archive, its prefix, and the storages read so far. */
  private static final class Reader {
    private final Path path;
    private final ZipFile zip;
    private final long fileSize;
    private String prefix; // e.g. "lenet/", the folder holding data.pkl
    private final Map<String, StorageRef> storages = new HashMap<>();
    private final Map<String, ByteBuffer> storageData = new HashMap<>();

    /**
     * Float tensors still to be built per storage: a storage's bytes are dropped after its last
     * one, so a load holds at most one storage beside the tensors, not all of them.
     */
    private final Map<String, Integer> pending = new HashMap<>();

    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();

    Reader(Path path, ZipFile zip, long fileSize) {
      this.path = path;
      this.zip = zip;
      this.fileSize = fileSize;
    }

    TorchCheckpoint read() throws IOException {
      ZipEntry pickle = findDataPkl();
      prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
      checkByteOrder();
      checkVersion();
      byte[] pkl = entryBytes(pickle, MAX_PICKLE_BYTES, "data.pkl");
      Object root;
      try {
        root = StateDictUnpickler.load(pkl, "data.pkl");
      } catch (IOException e) {
        throw new IOException(path + ": " + e.getMessage(), e);
      }
      if (!(root instanceof PyDict dict)) {
        throw fail(
            "data.pkl holds "
                + StateDictUnpickler.describe(root)
                + ", not a state_dict; save model.state_dict()");
      }
      Map<String, TensorRef> refs = new LinkedHashMap<>();
      flatten(dict, "", refs, 0);
      for (TensorRef ref : refs.values()) {
        if (ref.storage().type().floating) {
          pending.merge(ref.storage().key(), 1, Integer::sum);
        }
      }
      for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
        TensorRef ref = e.getValue();
        if (ref.storage().type().floating) {
          tensors.put(e.getKey(), tensor(e.getKey(), ref));
        } else {
          check(e.getKey(), ref); // a malformed int tensor is still a malformed file
          skipped.put(e.getKey(), ref.storage().type().dtype + " tensor");
        }
      }
      return new TorchCheckpoint(tensors, skipped);
    }

    private ZipEntry findDataPkl() throws IOException {
      List<String> found = new ArrayList<>();
      boolean torchScript = false;
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        String[] parts = name.split("/", -1);
        if (parts.length == 2 && parts[1].equals("data.pkl")) {
          found.add(name);
        }
        torchScript |= parts.length == 2 && parts[1].equals("constants.pkl");
      }
      if (found.size() == 1) {
        return zip.getEntry(found.get(0));
      }
      if (found.isEmpty()) {
        throw fail(
            "no <archive>/data.pkl in the zip, so this is not a torch.save file"
                + (torchScript
                    ? " (it looks like a TorchScript archive: torch.save(model.state_dict(),"
                        + " path) instead)"
                    : ""));
      }
      throw fail("more than one data.pkl in the zip: " + found);
    }

    private void checkByteOrder() throws IOException {
      ZipEntry entry = zip.getEntry(prefix + "byteorder");
      if (entry == null) {
        return; // PyTorch before 1.10 wrote none, and only little-endian
      }
      String order =
          new String(entryBytes(entry, 64, "byteorder"), StandardCharsets.US_ASCII).trim();
      if (!order.equals("little")) {
        throw fail(
            "the archive's byteorder is '"
                + order
                + "'; Stride reads little-endian"
                + " checkpoints only");
      }
    }

    private void checkVersion() throws IOException {
      ZipEntry entry = zip.getEntry(prefix + "version");
      if (entry == null) {
        return;
      }
      String version =
          new String(entryBytes(entry, 64, "version"), StandardCharsets.US_ASCII).trim();
      if (!version.matches("[0-9]{1,4}")) {
        throw fail("the archive's version is '" + version + "', not a number");
      }
    }

    private void flatten(PyDict dict, String keyPrefix, Map<String, TensorRef> out, int depth)
        throws IOException {
      if (depth > MAX_DEPTH) {
        throw fail("dicts nested more than " + MAX_DEPTH + " deep at '" + keyPrefix + "'");
      }
      for (Map.Entry<Object, Object> e : dict.items.entrySet()) {
        if (!(e.getKey() instanceof String) && depth > 0) {
          // An optimizer's state, keyed by parameter index, in a training checkpoint: no weights.
          skipped.put(keyPrefix + e.getKey(), "entry with a non-string key");
          continue;
        }
        if (!(e.getKey() instanceof String k)) {
          throw fail(
              "key "
                  + e.getKey()
                  + " in "
                  + (keyPrefix.isEmpty() ? "the state_dict" : "'" + keyPrefix + "'")
                  + " is not a string");
        }
        String key = keyPrefix + k;
        if (out.containsKey(key) || skipped.containsKey(key)) {
          throw fail("key '" + key + "' appears twice after flattening nested dicts");
        }
        Object value = e.getValue();
        if (value instanceof TensorRef ref) {
          out.put(key, ref);
        } else if (value instanceof PyDict nested) {
          flatten(nested, key + ".", out, depth + 1);
        } else {
          skipped.put(key, kind(value));
        }
      }
    }

    private static String kind(Object value) {
      if (value instanceof Long) {
        return "int";
      }
      if (value instanceof Double) {
        return "float";
      }
      if (value instanceof String) {
        return "str";
      }
      if (value instanceof Boolean) {
        return "bool";
      }
      if (value instanceof StateDictUnpickler.None) {
        return "None";
      }
      if (value instanceof StateDictUnpickler.Tuple) {
        return "tuple";
      }
      if (value instanceof StateDictUnpickler.PyList) {
        return "list";
      }
      return "storage";
    }

    /** Checks the tensor's geometry against its storage; returns its element count. */
    private int check(String name, TensorRef ref) throws IOException {
      StorageRef storage = ref.storage();
      StorageRef seen = storages.putIfAbsent(storage.key(), storage);
      if (seen != null && !seen.equals(storage)) {
        throw fail(
            "tensor '"
                + name
                + "' names storage '"
                + storage.key()
                + "' as "
                + storage.numel()
                + " "
                + storage.type().dtype
                + " values, but another tensor names it"
                + " as "
                + seen.numel()
                + " "
                + seen.type().dtype
                + " values");
      }
      long[] size = ref.size();
      long[] stride = ref.stride();
      if (size.length != stride.length) {
        throw fail(
            "tensor '"
                + name
                + "' has size "
                + Arrays.toString(size)
                + " but stride "
                + Arrays.toString(stride));
      }
      if (ref.offset() < 0) {
        throw fail("tensor '" + name + "' has negative storage offset " + ref.offset());
      }
      long count = 1;
      long last = ref.offset(); // the storage index of the last element
      try {
        for (int d = 0; d < size.length; d++) {
          if (size[d] < 0 || stride[d] < 0) {
            throw fail(
                "tensor '"
                    + name
                    + "' has size "
                    + Arrays.toString(size)
                    + " and stride "
                    + Arrays.toString(stride)
                    + "; negative values are not allowed");
          }
          count = Math.multiplyExact(count, size[d]);
          if (size[d] > 0) {
            last = Math.addExact(last, Math.multiplyExact(size[d] - 1, stride[d]));
          }
        }
      } catch (ArithmeticException e) {
        throw fail(
            "tensor '"
                + name
                + "' has size "
                + Arrays.toString(size)
                + ", which overflows a 64-bit count");
      }
      if (count > MAX_ARRAY) {
        throw fail("tensor '" + name + "' has " + count + " values, more than a Java array holds");
      }
      boolean fits = count == 0 ? ref.offset() <= storage.numel() : last < storage.numel();
      if (!fits) {
        throw fail(
            "tensor '"
                + name
                + "' (size "
                + Arrays.toString(size)
                + ", stride "
                + Arrays.toString(stride)
                + ", offset "
                + ref.offset()
                + ") reaches storage element "
                + last
                + ", but storage '"
                + storage.key()
                + "' holds "
                + storage.numel()
                + " values");
      }
      return (int) count;
    }

    private Tensor tensor(String name, TensorRef ref) throws IOException {
      int count = check(name, ref);
      int[] shape = new int[ref.size().length];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = (int) ref.size()[d]; // each is at most count, checked above
      }
      float[] values = new float[count];
      StorageType type = ref.storage().type();
      String key = ref.storage().key();
      int left = pending.merge(key, -1, Integer::sum);
      if (left == 0 && !storageData.containsKey(key) && wholeFloat32(ref, count)) {
        // The usual state_dict tensor: all of a float32 storage no other tensor views. Its bytes
        // go straight into the tensor's floats, so the storage is never held as a second copy.
        readFloats(name, ref.storage(), values);
        return new Tensor(shape, values);
      }
      ByteBuffer bytes = storage(name, ref.storage());
      if (count > 0) {
        gather(bytes, type, ref.offset(), ref.size(), ref.stride(), values);
      }
      if (left == 0) {
        storageData.remove(key);
      }
      return new Tensor(shape, values);
    }

    /** Whether {@code ref} is its whole float32 storage, contiguous in row-major order. */
    private static boolean wholeFloat32(TensorRef ref, int count) {
      if (ref.storage().type() != StorageType.FLOAT
          || ref.offset() != 0
          || count != ref.storage().numel()) {
        return false;
      }
      long expected = 1;
      for (int d = ref.size().length - 1; d >= 0; d--) {
        if (ref.size()[d] != 1 && ref.stride()[d] != expected) {
          return false;
        }
        expected *= ref.size()[d];
      }
      return true;
    }

    /**
     * Reads a float32 storage's bytes straight into {@code out} (its whole length), through a small
     * buffer, with the same checks as {@link #storage}.
     */
    private void readFloats(String tensor, StorageRef storage, float[] out) throws IOException {
      String name = prefix + "data/" + storage.key();
      ZipEntry entry = entry(tensor, storage, name);
      long needed = 4L * out.length;
      long stored = entry.getCompressedSize();
      long bound = entry.getMethod() == ZipEntry.STORED ? stored : stored * MAX_DEFLATE_RATIO;
      String what = "storage '" + name + "' of tensor '" + tensor + "'";
      if (stored < 0 || stored > fileSize) {
        throw fail(what + " claims " + stored + " bytes in a file of " + fileSize);
      }
      if (bound < needed) {
        throw sizeMismatch(tensor, name, storage, Math.max(0, bound));
      }
      byte[] chunk = new byte[1 << 16];
      ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
      long read = 0;
      try (InputStream in = zip.getInputStream(entry)) {
        int at = 0;
        while (read < needed) {
          int n = in.readNBytes(chunk, 0, (int) Math.min(chunk.length, needed - read));
          if (n == 0) {
            break;
          }
          // Whole floats only: a chunk's read ends on a multiple of 4 unless the data ends.
          if (n % 4 != 0) {
            read += n;
            break;
          }
          view.clear();
          view.asFloatBuffer().get(out, at, n / 4);
          at += n / 4;
          read += n;
        }
        if (read == needed && in.read() != -1) {
          throw fail(
              "tensor '"
                  + tensor
                  + "': storage '"
                  + name
                  + "' holds more than the "
                  + needed
                  + " bytes its "
                  + storage.numel()
                  + " "
                  + storage.type().dtype
                  + " values need");
        }
      } catch (java.util.zip.ZipException | java.io.EOFException e) {
        throw new IOException(path + ": cannot read " + what + " from the archive (" + e + ")", e);
      }
      if (read != needed) {
        throw sizeMismatch(tensor, name, storage, read);
      }
    }

    private IOException sizeMismatch(String tensor, String name, StorageRef storage, long bytes) {
      return fail(
          "tensor '"
              + tensor
              + "': storage '"
              + name
              + "' holds "
              + bytes
              + " bytes, but its "
              + storage.numel()
              + " "
              + storage.type().dtype
              + " values need "
              + 4L * storage.numel());
    }

    /** The storage's zip entry, checked to hold what the storage needs where the zip says. */
    private ZipEntry entry(String tensor, StorageRef storage, String name) throws IOException {
      ZipEntry entry = zip.getEntry(name);
      if (entry == null) {
        throw fail(
            "tensor '" + tensor + "' needs storage '" + name + "', which is not in the archive");
      }
      long needed = 4L * storage.numel();
      if (entry.getSize() >= 0 && entry.getSize() != needed) {
        throw sizeMismatch(tensor, name, storage, entry.getSize());
      }
      return entry;
    }

    /** Copies a strided view out in row-major order, converting each element to float32. */
    private static void gather(
        ByteBuffer bytes, StorageType type, long offset, long[] size, long[] stride, float[] out) {
      int dims = size.length;
      long[] index = new long[dims];
      long at = offset;
      for (int i = 0; i < out.length; i++) {
        out[i] = element(bytes, type, (int) at); // at < storage numel <= MAX_ARRAY, checked
        // Odometer: advance the last dimension, carrying into earlier ones.
        for (int d = dims - 1; d >= 0; d--) {
          if (++index[d] < size[d]) {
            at += stride[d];
            break;
          }
          at -= (size[d] - 1) * stride[d];
          index[d] = 0;
        }
      }
    }

    private static float element(ByteBuffer bytes, StorageType type, int index) {
      return switch (type) {
        case FLOAT -> bytes.getFloat(index * 4);
        case HALF -> Safetensors.halfToFloat(bytes.getShort(index * 2));
        case BFLOAT16 -> Safetensors.bfloat16ToFloat(bytes.getShort(index * 2));
        case DOUBLE -> (float) bytes.getDouble(index * 8); // round to nearest even, as torch does
        default -> throw new IllegalStateException(type + " is not a float type");
      };
    }

    /** A storage's bytes, read once however many tensors view it. */
    private ByteBuffer storage(String tensor, StorageRef storage) throws IOException {
      ByteBuffer cached = storageData.get(storage.key());
      if (cached != null) {
        return cached;
      }
      String name = prefix + "data/" + storage.key();
      ZipEntry entry = zip.getEntry(name);
      if (entry == null) {
        throw fail(
            "tensor '" + tensor + "' needs storage '" + name + "', which is not in the archive");
      }
      long needed;
      try {
        needed = Math.multiplyExact(storage.numel(), storage.type().bytes);
      } catch (ArithmeticException e) {
        needed = Long.MAX_VALUE;
      }
      String what = storage.numel() + " " + storage.type().dtype + " values";
      if (needed > MAX_ARRAY) {
        throw fail(
            "tensor '"
                + tensor
                + "': storage '"
                + name
                + "' of "
                + what
                + " is larger than Stride can load (2 GiB)");
      }
      if (entry.getSize() >= 0 && entry.getSize() != needed) {
        throw fail(
            "tensor '"
                + tensor
                + "': storage '"
                + name
                + "' holds "
                + entry.getSize()
                + " bytes, but its "
                + what
                + " need "
                + needed);
      }
      byte[] data =
          entryBytes(entry, (int) needed, "storage '" + name + "' of tensor '" + tensor + "'");
      if (data.length != needed) {
        throw fail(
            "tensor '"
                + tensor
                + "': storage '"
                + name
                + "' holds "
                + data.length
                + " bytes, but its "
                + what
                + " need "
                + needed);
      }
      ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      storageData.put(storage.key(), buffer);
      return buffer;
    }

    /**
     * An entry's bytes, at most {@code limit} of them; more is an error. What the archive claims is
     * checked against the file's size first, so a forged length never drives an allocation.
     */
    private byte[] entryBytes(ZipEntry entry, int limit, String what) throws IOException {
      long stored = entry.getCompressedSize();
      long bound = entry.getMethod() == ZipEntry.STORED ? stored : stored * MAX_DEFLATE_RATIO;
      if (stored < 0 || stored > fileSize) {
        throw fail(what + " claims " + stored + " bytes in a file of " + fileSize);
      }
      int cap = (int) Math.min(limit, bound);
      byte[] data;
      boolean more;
      try (InputStream in = zip.getInputStream(entry)) {
        data = in.readNBytes(cap); // grows as bytes arrive, never allocates cap up front
        more = data.length == cap && in.read() != -1;
      } catch (IOException e) {
        // java.util.zip's own messages can be empty (a bare EOFException); say what was read.
        throw new IOException(path + ": cannot read " + what + " from the archive (" + e + ")", e);
      }
      if (more) {
        throw fail(
            cap < limit
                ? what + " inflates beyond what its compressed size allows"
                : what + " is larger than " + limit + " bytes");
      }
      return data;
    }

    private IOException fail(String message) {
      return new IOException(path + ": " + message);
    }
  }
}
