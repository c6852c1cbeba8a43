package dev.stride.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Reading trusts nothing in the file: every length and offset is checked against the file's size
 * before anything is allocated, and every problem is an {@link IOException} that names the file,
 * the tensor and what was expected versus found. F32 is read as is; F16, BF16 and F64 are converted
 * to float32. Writing produces F32 only, in the given order, with the header padded with spaces to
 * a multiple of 8 bytes as the reference implementation does.
 */
public final class Safetensors {
  /** Headers larger than this are refused, as the reference implementation does. */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  /** The header key that holds free-form string metadata rather than a tensor. */
  public static final String METADATA_KEY = "__metadata__";

  /** The largest Java array: tensors with more values cannot be loaded. */
  private static final int MAX_VALUES = Integer.MAX_VALUE - 8;

  /** Data is streamed through a buffer this size; a multiple of every element size. */
  private static final int CHUNK_BYTES = 1 << 20;

  private Safetensors() {}

  /** The element types safetensors defines, with their sizes in bytes. */
  public enum DType {
    /** Boolean, one byte. */
    BOOL(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Signed 8-bit integer. */
    I8(1),
    /** 8-bit float, 5 exponent bits. */
    F8_E5M2(1),
    /** 8-bit float, 4 exponent bits. */
    F8_E4M3(1),
    /** Signed 16-bit integer. */
    I16(2),
    /** Unsigned 16-bit integer. */
    U16(2),
    /** IEEE half precision. */
    F16(2),
    /** bfloat16: the top half of a float32. */
    BF16(2),
    /** Signed 32-bit integer. */
    I32(4),
    /** Unsigned 32-bit integer. */
    U32(4),
    /** IEEE single precision. */
    F32(4),
    /** IEEE double precision. */
    F64(8),
    /** Signed 64-bit integer. */
    I64(8),
    /** Unsigned 64-bit integer. */
    U64(8);

    private final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }

    /** The size of one element in bytes. */
    public int bytes() {
      return bytes;
    }

    /** Whether this runtime converts the type to float32 when reading. */
    public boolean isReadable() {
      return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** The type named {@code name} in a header, or null if this runtime does not know it. */
    static DType named(String name) {
      for (DType t : values()) {
        if (t.name().equals(name)) {
          return t;
        }
      }
      return null;
    }
  }

  /**
   * One tensor's header entry.
   *
   * @param name the tensor's name
   * @param dtype the dtype as written in the file, e.g. {@code F32}; possibly one this runtime does
   *     not know, which is fine for tensors that are skipped
   * @param shape the dimensions
   * @param begin the first byte of the data, relative to the end of the header
   * @param end one past the last byte of the data, relative to the end of the header
   */
  public record Entry(String name, String dtype, int[] shape, long begin, long end) {
    /** Copies the shape. */
    public Entry {
      shape = shape.clone();
    }

    /** A copy of the dimensions. */
    @Override
    public int[] shape() {
      return shape.clone();
    }

    /** The number of values, the product of the shape; {@code Long.MAX_VALUE} if it overflows. */
    public long count() {
      long n = 1;
      for (int d : shape) {
        if (d == 0) {
          return 0;
        }
        n = n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d;
      }
      return n;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && name.equals(e.name)
          && dtype.equals(e.dtype)
          && Arrays.equals(shape, e.shape)
          && begin == e.begin
          && end == e.end;
    }

    @Override
    public int hashCode() {
      return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin);
    }

    @Override
    public String toString() {
      return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
  }

  /**
   * A checked header: its entries in file order, its metadata, and where the data lies.
   *
   * @param entries the tensors in the order the file lists them
   * @param metadata the {@code __metadata__} map, empty if absent
   * @param dataStart the file offset of the data section ({@code 8 + header length})
   * @param dataLength the size of the data section in bytes
   */
  public record Header(
      List<Entry> entries, Map<String, String> metadata, long dataStart, long dataLength) {
    /** Makes immutable copies. */
    public Header {
      entries = List.copyOf(entries);
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }
  }

  /** Reads and checks the header alone, without touching the tensor data. */
  public static Header readHeader(Path path) throws IOException {
    try (FileChannel channel = open(path)) {
      return readHeader(channel, path);
    }
  }

  /** Reads every tensor, converted to float32, in file order; all must have a readable dtype. */
  public static Map<String, Tensor> read(Path path) throws IOException {
    return read(path, name -> true);
  }

  /**
   * Reads the tensors whose names {@code include} accepts, converted to float32, in file order; the
   * others are skipped whatever their dtype.
   */
  public static Map<String, Tensor> read(Path path, Predicate<String> include) throws IOException {
    try (Reader reader = new Reader(path)) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (Entry e : reader.header().entries()) {
        if (include.test(e.name())) {
          tensors.put(e.name(), new Tensor(e.shape(), reader.read(e)));
        }
      }
      return tensors;
    }
  }

  /**
   * An open file whose tensors are read one at a time, when asked for: a model built from it holds
   * no more of the file at once than the tensor it is preparing.
   */
  static final class Reader implements java.io.Closeable {
    private final Path path;
    private final FileChannel channel;
    private final Header header;
    private ByteBuffer buffer;

    Reader(Path path) throws IOException {
      this.path = path;
      this.channel = open(path);
      try {
        this.header = readHeader(channel, path);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    Header header() {
      return header;
    }

    /** One tensor's values, converted to float32. */
    float[] read(Entry e) throws IOException {
      DType type = DType.named(e.dtype());
      if (type == null || !type.isReadable()) {
        throw fail(
            path,
            "tensor '"
                + e.name()
                + "' has dtype "
                + e.dtype()
                + ", which is not supported; expected F32, F16, BF16 or F64");
      }
      long count = e.count();
      if (count > MAX_VALUES) {
        throw fail(
            path,
            "tensor '" + e.name() + "' has " + count + " values, more than a Java array holds");
      }
      if (buffer == null) {
        buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      }
      float[] data = new float[(int) count];
      readData(channel, path, e, type, header.dataStart(), buffer, data);
      return data;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  private static Header readHeader(FileChannel channel, Path path) throws IOException {
    long size = channel.size();
    if (size < 8) {
      throw fail(path, "file is " + size + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, path, lengthBytes, 0, "the header length");
    long headerLength = lengthBytes.getLong(0);
    if (headerLength < 0) {
      throw fail(
          path,
          "header length is negative as a signed 64-bit value (0x"
              + Long.toHexString(headerLength)
              + "); not a safetensors file?");
    }
    if (headerLength > MAX_HEADER_BYTES) {
      throw fail(
          path,
          "header length "
              + headerLength
              + " exceeds the "
              + MAX_HEADER_BYTES
              + "-byte (100 MB) limit; not a safetensors file?");
    }
    if (headerLength > size - 8) {
      throw fail(
          path,
          "header length "
              + headerLength
              + " exceeds the "
              + (size - 8)
              + " bytes that follow it; the file is truncated or not safetensors");
    }
    if (headerLength < 2) {
      throw fail(path, "header length " + headerLength + " is too short for a JSON object");
    }
    ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
    readFully(channel, path, headerBytes, 8, "the header");
    headerBytes.flip();
    String json;
    try {
      json =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(headerBytes)
              .toString();
    } catch (CharacterCodingException e) {
      throw fail(path, "header is not valid UTF-8 (" + e.getMessage() + ")");
    }
    Object root;
    try {
      root = Json.parse(json);
    } catch (IOException e) {
      throw fail(path, "malformed JSON header: " + e.getMessage());
    }
    long dataStart = 8 + headerLength;
    return checkHeader(path, root, dataStart, size - dataStart);
  }

  private static Header checkHeader(Path path, Object root, long dataStart, long dataLength)
      throws IOException {
    if (!(root instanceof Map)) {
      throw fail(path, "header is " + describe(root) + ", expected a JSON object");
    }
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> field : ((Map<?, ?>) root).entrySet()) {
      String name = (String) field.getKey();
      Object value = field.getValue();
      if (name.equals(METADATA_KEY)) {
        if (!(value instanceof Map)) {
          throw fail(path, METADATA_KEY + " is " + describe(value) + ", expected a JSON object");
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) value).entrySet()) {
          if (!(m.getValue() instanceof String)) {
            throw fail(
                path,
                METADATA_KEY
                    + " value for \""
                    + m.getKey()
                    + "\" is "
                    + describe(m.getValue())
                    + ", expected a string");
          }
          metadata.put((String) m.getKey(), (String) m.getValue());
        }
        continue;
      }
      entries.add(checkEntry(path, name, value, dataLength));
    }
    checkOverlaps(path, entries);
    return new Header(entries, metadata, dataStart, dataLength);
  }

  private static Entry checkEntry(Path path, String name, Object value, long dataLength)
      throws IOException {
    String where = "tensor '" + name + "'";
    if (!(value instanceof Map)) {
      throw fail(path, where + " is " + describe(value) + " in the header, expected a JSON object");
    }
    Map<?, ?> fields = (Map<?, ?>) value;
    for (Object key : fields.keySet()) {
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw fail(
            path,
            where + " has unexpected field \"" + key + "\"; expected dtype, shape, data_offsets");
      }
    }
    Object dtype = require(path, where, fields, "dtype");
    if (!(dtype instanceof String)) {
      throw fail(path, where + ": dtype is " + describe(dtype) + ", expected a string");
    }
    long[] shape = integers(path, where, "shape", require(path, where, fields, "shape"), -1);
    long[] offsets =
        integers(path, where, "data_offsets", require(path, where, fields, "data_offsets"), 2);
    int[] dims = new int[shape.length];
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) {
        throw fail(
            path,
            where
                + " has dimension "
                + shape[i]
                + " in shape "
                + Arrays.toString(shape)
                + "; expected 0 to "
                + Integer.MAX_VALUE);
      }
      dims[i] = (int) shape[i];
    }
    long begin = offsets[0];
    long end = offsets[1];
    String range = "data_offsets [" + begin + ", " + end + "]";
    if (begin < 0 || end < 0) {
      throw fail(path, where + " has negative " + range);
    }
    if (end < begin) {
      throw fail(path, where + " has " + range + " that end before they begin");
    }
    if (end > dataLength) {
      throw fail(
          path,
          where
              + " has "
              + range
              + " past the end of the data section, which holds "
              + dataLength
              + " bytes; the file is truncated");
    }
    DType type = DType.named((String) dtype);
    if (type != null) {
      // Saturating product, so an absurd shape cannot overflow into a plausible size.
      long bytes = end - begin;
      long needed = type.bytes();
      for (int d : dims) {
        if (d == 0) {
          needed = 0;
          break;
        }
        needed = needed > Long.MAX_VALUE / d ? Long.MAX_VALUE : needed * d;
      }
      if (needed != bytes) {
        throw fail(
            path,
            where
                + " has "
                + range
                + " holding "
                + bytes
                + " bytes, but shape "
                + Arrays.toString(dims)
                + " of "
                + type
                + " needs "
                + (needed == Long.MAX_VALUE ? "more" : String.valueOf(needed)));
      }
    }
    return new Entry(name, (String) dtype, dims, begin, end);
  }

  private static void checkOverlaps(Path path, List<Entry> entries) throws IOException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.removeIf(e -> e.begin() == e.end()); // empty tensors occupy no bytes
    sorted.sort(Comparator.comparingLong(Entry::begin));
    for (int i = 1; i < sorted.size(); i++) {
      Entry previous = sorted.get(i - 1);
      Entry next = sorted.get(i);
      if (next.begin() < previous.end()) {
        throw fail(
            path,
            "tensor '"
                + next.name()
                + "' data_offsets ["
                + next.begin()
                + ", "
                + next.end()
                + "] overlap tensor '"
                + previous.name()
                + "' ["
                + previous.begin()
                + ", "
                + previous.end()
                + "]");
      }
    }
  }

  private static Object require(Path path, String where, Map<?, ?> fields, String key)
      throws IOException {
    if (!fields.containsKey(key)) {
      throw fail(path, where + " has no \"" + key + "\"");
    }
    return fields.get(key);
  }

  private static long[] integers(Path path, String where, String key, Object value, int length)
      throws IOException {
    if (!(value instanceof List)) {
      throw fail(path, where + ": " + key + " is " + describe(value) + ", expected an array");
    }
    List<?> list = (List<?>) value;
    if (length >= 0 && list.size() != length) {
      throw fail(
          path, where + ": " + key + " has " + list.size() + " elements, expected " + length);
    }
    long[] result = new long[list.size()];
    for (int i = 0; i < result.length; i++) {
      if (!(list.get(i) instanceof Long)) {
        throw fail(
            path,
            where
                + ": "
                + key
                + "["
                + i
                + "] is "
                + describe(list.get(i))
                + ", expected an integer");
      }
      result[i] = (Long) list.get(i);
    }
    return result;
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof Map) {
      return "an object";
    } else if (value instanceof List) {
      return "an array";
    } else if (value instanceof String) {
      return "a string";
    } else if (value instanceof Long) {
      return "the number " + value;
    } else {
      return String.valueOf(value);
    }
  }

  private static void readData(
      FileChannel channel,
      Path path,
      Entry e,
      DType type,
      long dataStart,
      ByteBuffer buffer,
      float[] out)
      throws IOException {
    long position = dataStart + e.begin();
    long remaining = e.end() - e.begin();
    int index = 0;
    while (remaining > 0) {
      int chunk = (int) Math.min(CHUNK_BYTES, remaining);
      buffer.clear().limit(chunk);
      readFully(channel, path, buffer, position, "tensor '" + e.name() + "'");
      buffer.flip();
      int count = chunk / type.bytes();
      switch (type) {
        case F32:
          buffer.asFloatBuffer().get(out, index, count);
          break;
        case F64:
          for (int i = 0; i < count; i++) {
            out[index + i] = (float) buffer.getDouble(i * 8);
          }
          break;
        case F16:
          for (int i = 0; i < count; i++) {
            out[index + i] = halfToFloat(buffer.getShort(i * 2));
          }
          break;
        case BF16:
          for (int i = 0; i < count; i++) {
            out[index + i] = bfloat16ToFloat(buffer.getShort(i * 2));
          }
          break;
        default:
          throw new AssertionError(type); // read() admits only readable types
      }
      index += count;
      position += chunk;
      remaining -= chunk;
    }
  }

  /** Fills {@code buffer} from {@code position}, or says the file ended early. */
  private static void readFully(
      FileChannel channel, Path path, ByteBuffer buffer, long position, String what)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw fail(path, "file ended at byte " + at + " while reading " + what + "; truncated");
      }
      at += n;
    }
  }

  /**
   * Converts IEEE half-precision bits (the low 16 bits of {@code bits}) to float exactly, including
   * subnormals, infinities and NaN; {@code Float.float16ToFloat} needs Java 20.
   */
  public static float halfToFloat(int bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) { // infinity, or NaN with its payload kept
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) { // zero or subnormal: mantissa * 2^-24, exact in float
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    // Rebias the exponent from 15 to 127; the mantissa widens from 10 to 23 bits.
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** Converts bfloat16 bits (the low 16 bits of {@code bits}): they are a float32's top half. */
  public static float bfloat16ToFloat(int bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /**
   * Writes {@code tensors} as F32 in iteration order, replacing {@code path}; the file appears
   * complete or not at all where the file system can move atomically.
   */
  public static void write(Path path, Map<String, Tensor> tensors) throws IOException {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    tensors.forEach((name, t) -> shapes.put(name, t.shape()));
    write(path, shapes, name -> tensors.get(name).data());
  }

  /**
   * As {@link #write(Path, Map)}, for the tensors {@code shapes} names, in its order, each asked of
   * {@code data} only when it is written (so a model can rebuild one tensor at a time).
   */
  static void write(Path path, Map<String, int[]> shapes, Function<String, float[]> data)
      throws IOException {
    StringBuilder json = new StringBuilder("{");
    long offset = 0;
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      if (e.getKey().equals(METADATA_KEY)) {
        throw new IOException("a tensor cannot be named " + METADATA_KEY);
      }
      if (json.length() > 1) {
        json.append(',');
      }
      int[] shape = e.getValue();
      long end = offset + 4L * count(shape);
      appendString(json, e.getKey());
      json.append(":{\"dtype\":\"F32\",\"shape\":[");
      for (int i = 0; i < shape.length; i++) {
        json.append(i == 0 ? "" : ",").append(shape[i]);
      }
      json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    json.append('}');
    byte[] unpadded = json.toString().getBytes(StandardCharsets.UTF_8);
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    byte[] header = Arrays.copyOf(unpadded, (unpadded.length + 7) / 8 * 8);
    Arrays.fill(header, unpadded.length, header.length, (byte) ' ');

    Path target = path.toAbsolutePath();
    Path temp = createTemp(target);
    boolean done = false;
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(header.length);
        writeFully(channel, buffer.flip());
        writeFully(channel, ByteBuffer.wrap(header));
        for (String name : shapes.keySet()) {
          float[] values = data.apply(name);
          if (values.length != count(shapes.get(name))) {
            throw new IOException(
                "tensor '"
                    + name
                    + "' has "
                    + values.length
                    + " values, its shape holds more or fewer");
          }
          for (int from = 0; from < values.length; from += CHUNK_BYTES / 4) {
            int count = Math.min(CHUNK_BYTES / 4, values.length - from);
            buffer.clear();
            buffer.asFloatBuffer().put(values, from, count);
            buffer.limit(count * 4);
            writeFully(channel, buffer);
          }
        }
      }
      try {
        Files.move(
            temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /**
   * A new file beside {@code target} with the permissions a plain new file gets (the umask's), or
   * the target's own when it exists, as an overwrite in place would keep them; {@link
   * Files#createTempFile} would make it readable by its owner only.
   */
  private static Path createTemp(Path target) throws IOException {
    if (Files.isDirectory(target)) {
      throw fail(target, "is a directory; give save() a file name");
    }
    for (int attempt = 0; ; attempt++) {
      Path temp =
          target.resolveSibling(
              target.getFileName()
                  + "."
                  + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                  + ".tmp");
      try {
        Files.createFile(temp);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt < 100) {
          continue;
        }
        throw e;
      }
      if (Files.exists(target)
          && Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
        try {
          Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
        } catch (IOException | UnsupportedOperationException e) {
          // The umask's permissions stay, as for a new file.
        }
      }
      return temp;
    }
  }

  private static long count(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }

  /** Opens {@code path} for reading; a directory gets a message naming it, not a bare EISDIR. */
  private static FileChannel open(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw fail(path, "is a directory, not a safetensors file");
    }
    return FileChannel.open(path, StandardOpenOption.READ);
  }

  private static IOException fail(Path path, String message) {
    return new IOException(path + ": " + message);
  }
}
