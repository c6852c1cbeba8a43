package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading, writing, dtype conversion and refusal of malformed files. */
class SafetensorsTest {
  @TempDir Path dir;

  /** A safetensors file with the given header text (its true length) and data bytes. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return raw(h.length, h, data);
  }

  /** A file whose length prefix may lie. */
  static byte[] raw(long length, byte[] header, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length);
    b.order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(header).put(data);
    return b.array();
  }

  static byte[] floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":["
        + begin
        + ","
        + end
        + "]}";
  }

  Path put(byte[] bytes) throws IOException {
    Path p = dir.resolve("t.safetensors");
    Files.write(p, bytes);
    return p;
  }

  IOException readFails(byte[] bytes) throws IOException {
    Path p = put(bytes);
    return assertThrows(IOException.class, () -> Safetensors.read(p));
  }

  static void assertMentions(IOException e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' lacks '" + part + "'");
    }
  }

  static Map<String, Tensor> sample() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("conv.weight", new Tensor(new int[] {2, 1, 1, 2}, new float[] {1, -2, 3.5f, 1e-30f}));
    m.put("conv.bias", new Tensor(new int[] {2}, new float[] {Float.NaN, -0f}));
    m.put("scalar", new Tensor(new int[] {}, new float[] {7}));
    m.put("empty", new Tensor(new int[] {0, 3}, new float[0]));
    m.put("quote\"back\\slash\u00e9", new Tensor(new int[] {1}, new float[] {Float.MAX_VALUE}));
    return m;
  }

  // ---- round trip and format ----

  @Test
  void writeThenReadGivesTheSameTensorsInOrder() throws IOException {
    Path p = dir.resolve("w.safetensors");
    Safetensors.write(p, sample());
    Map<String, Tensor> back = Safetensors.read(p);
    assertEquals(List.copyOf(sample().keySet()), List.copyOf(back.keySet()));
    assertEquals(sample(), back);
  }

  @Test
  void writesTheReferenceLayout() throws IOException {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("a", new Tensor(new int[] {2}, new float[] {1, 2}));
    m.put("b", new Tensor(new int[] {1, 1}, new float[] {3}));
    Path p = dir.resolve("w.safetensors");
    Safetensors.write(p, m);
    byte[] bytes = Files.readAllBytes(p);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8, "header padded to a multiple of 8");
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertEquals(
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]}}",
        header.stripTrailing());
    assertTrue(header.endsWith(" "), "padding is spaces");
    assertEquals(8 + n + 12, bytes.length);
    assertEquals(
        3f, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(8 + (int) n + 8));

    Safetensors.Header h = Safetensors.readHeader(p);
    assertEquals(
        List.of(
            new Safetensors.Entry("a", "F32", new int[] {2}, 0, 8),
            new Safetensors.Entry("b", "F32", new int[] {1, 1}, 8, 12)),
        h.entries());
    assertEquals(8 + n, h.dataStart());
    assertEquals(12, h.dataLength());
  }

  @Test
  void writeReplacesAnExistingFileAndLeavesNoTemporaries() throws IOException {
    Path p = dir.resolve("w.safetensors");
    Files.writeString(p, "old content that is not safetensors");
    Safetensors.write(p, sample());
    assertEquals(sample(), Safetensors.read(p));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(p), files.toList());
    }
  }

  @Test
  void writeIntoMissingDirectoryThrowsIOException() {
    Path p = dir.resolve("no/such/dir/w.safetensors");
    assertThrows(IOException.class, () -> Safetensors.write(p, sample()));
  }

  @Test
  void metadataIsAcceptedAndReported() throws IOException {
    String header = "{\"__metadata__\":{\"format\":\"pt\"}," + entry("a", "F32", "[1]", 0, 4) + "}";
    Path p = put(file(header, floats(5)));
    assertEquals(Map.of("format", "pt"), Safetensors.readHeader(p).metadata());
    assertEquals(Map.of("a", new Tensor(new int[] {1}, new float[] {5})), Safetensors.read(p));
  }

  @Test
  void skippedTensorsMayHaveAnyDtype() throws IOException {
    String header =
        "{"
            + entry("steps", "I64", "[]", 0, 8)
            + ","
            + entry("a", "F32", "[1]", 8, 12)
            + ","
            + entry("odd", "F4", "[3]", 12, 14)
            + "}";
    byte[] data = new byte[14];
    System.arraycopy(floats(2), 0, data, 8, 4);
    Path p = put(file(header, data));
    assertEquals(
        Map.of("a", new Tensor(new int[] {1}, new float[] {2})),
        Safetensors.read(p, name -> name.equals("a")));
    assertMentions(
        assertThrows(IOException.class, () -> Safetensors.read(p)),
        "tensor 'steps' has dtype I64, which is not supported");
  }

  // ---- dtype conversion ----

  @Test
  void halfKnownBitPatterns() {
    assertEquals(1.0f, Safetensors.halfToFloat(0x3C00));
    assertEquals(-2.0f, Safetensors.halfToFloat(0xC000));
    assertEquals(0x1p-24f, Safetensors.halfToFloat(0x0001)); // smallest subnormal, 5.96e-8
    assertEquals(5.9604645e-8f, Safetensors.halfToFloat(0x0001));
    assertEquals(1023 * 0x1p-24f, Safetensors.halfToFloat(0x03FF)); // largest subnormal
    assertEquals(0x1p-14f, Safetensors.halfToFloat(0x0400)); // smallest normal
    assertEquals(65504f, Safetensors.halfToFloat(0x7BFF)); // largest finite
    assertEquals(0.333251953125f, Safetensors.halfToFloat(0x3555));
    assertEquals(Float.POSITIVE_INFINITY, Safetensors.halfToFloat(0x7C00));
    assertEquals(Float.NEGATIVE_INFINITY, Safetensors.halfToFloat(0xFC00));
    assertTrue(Float.isNaN(Safetensors.halfToFloat(0x7E00)));
    assertTrue(Float.isNaN(Safetensors.halfToFloat(0xFC01)));
    assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Safetensors.halfToFloat(0x8000)));
    assertEquals(-0x1p-24f, Safetensors.halfToFloat((short) 0x8001)); // sign-extended short
  }

  @Test
  void halfMatchesTheDefinitionForAllBitPatterns() {
    for (int bits = 0; bits < 0x10000; bits++) {
      int sign = bits >>> 15;
      int exponent = (bits >>> 10) & 0x1f;
      int mantissa = bits & 0x3ff;
      double magnitude;
      if (exponent == 31) {
        magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
      } else if (exponent == 0) {
        magnitude = mantissa / 1024.0 * Math.pow(2, -14);
      } else {
        magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
      }
      float expected = (float) (sign == 1 ? -magnitude : magnitude);
      float actual = Safetensors.halfToFloat(bits);
      if (Float.isNaN(expected)) {
        assertTrue(Float.isNaN(actual), Integer.toHexString(bits));
      } else {
        assertEquals(
            Float.floatToIntBits(expected),
            Float.floatToIntBits(actual),
            Integer.toHexString(bits));
      }
    }
  }

  @Test
  void bfloat16KnownBitPatterns() {
    assertEquals(1.0f, Safetensors.bfloat16ToFloat(0x3F80));
    assertEquals(-2.0f, Safetensors.bfloat16ToFloat(0xC000));
    assertEquals(Float.POSITIVE_INFINITY, Safetensors.bfloat16ToFloat(0x7F80));
    assertEquals(Float.intBitsToFloat(0x00010000), Safetensors.bfloat16ToFloat(0x0001));
    assertTrue(Float.isNaN(Safetensors.bfloat16ToFloat(0x7FC0)));
    assertEquals(-1.0f, Safetensors.bfloat16ToFloat((short) 0xBF80));
  }

  @Test
  void readsF16Bf16AndF64Files() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(6 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001);
    data.putShort((short) 0x3F80).putShort((short) 0x7F80);
    data.putDouble(0.1).putDouble(-1e300);
    String header =
        "{"
            + entry("h", "F16", "[3]", 0, 6)
            + ","
            + entry("b", "BF16", "[2]", 6, 10)
            + ","
            + entry("d", "F64", "[2, 1]", 10, 26)
            + "}";
    Map<String, Tensor> t = Safetensors.read(put(file(header, data.array())));
    assertArrayEquals(new float[] {1, -2, 0x1p-24f}, t.get("h").data());
    assertArrayEquals(new float[] {1, Float.POSITIVE_INFINITY}, t.get("b").data());
    assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, t.get("d").data());
    assertArrayEquals(new int[] {2, 1}, t.get("d").shape());
  }

  @Test
  void readsTensorsLargerThanTheStreamingBuffer() throws IOException {
    float[] big = new float[700_000]; // 2.8 MB: several 1 MB chunks and a partial one
    Random r = new Random(1);
    for (int i = 0; i < big.length; i++) {
      big[i] = r.nextFloat();
    }
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("x", new Tensor(new int[] {7, 100_000}, big));
    m.put("y", new Tensor(new int[] {1}, new float[] {3}));
    Path p = dir.resolve("big.safetensors");
    Safetensors.write(p, m);
    assertEquals(m, Safetensors.read(p));
  }

  // ---- malformed files ----

  @Test
  void truncatedData() throws IOException {
    String header =
        "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[3]", 8, 20) + "}";
    byte[] data = floats(1, 2, 3, 4, 5);
    assertMentions(
        readFails(file(header, java.util.Arrays.copyOf(data, 16))),
        "tensor 'b'",
        "data_offsets [8, 20]",
        "past the end of the data section, which holds 16 bytes",
        "truncated");
  }

  @Test
  void fileShorterThanTheLengthPrefix() throws IOException {
    assertMentions(readFails(new byte[] {1, 0, 0}), "file is 3 bytes, too short");
  }

  @Test
  void lyingHeaderLengths() throws IOException {
    byte[] h = "{}".getBytes(StandardCharsets.UTF_8);
    assertMentions(readFails(raw(1L << 40, h, new byte[0])), "exceeds the 104857600-byte (100 MB)");
    assertMentions(readFails(raw(-1, h, new byte[0])), "header length is negative");
    assertMentions(readFails(raw(Long.MIN_VALUE, h, new byte[0])), "header length is negative");
    assertMentions(readFails(raw(1000, h, new byte[0])), "header length 1000 exceeds the 2 bytes");
    assertMentions(readFails(raw(0, h, new byte[0])), "too short for a JSON object");
  }

  @Test
  void headerLengthSmallerThanTheJsonCutsIt() throws IOException {
    String header = "{" + entry("a", "F32", "[1]", 0, 4) + "}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    assertMentions(readFails(raw(h.length - 3, h, floats(1))), "malformed JSON header");
  }

  @Test
  void malformedJson() throws IOException {
    String good = entry("a", "F32", "[1]", 0, 4);
    String[][] cases = {
      {"{" + good, "malformed JSON header", "at character"},
      {"{" + good + ",}", "expected a string key"},
      {"{" + good + "} trailing", "after the end of the JSON value"},
      {"{" + good + "," + good + "}", "duplicate key \"a\""},
      {"[" + good + "]", "malformed JSON header"},
      {"[1, 2]", "header is an array, expected a JSON object"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "not an integer"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}",
        "does not fit a 64-bit integer"
      },
      {"{\"a\":" + "[".repeat(1000) + "]".repeat(1000) + "}", "nesting deeper"},
      {"{\"a\":\"b\nc\"}", "control character"},
    };
    for (String[] c : cases) {
      IOException e = readFails(file(c[0], floats(1)));
      for (int i = 1; i < c.length; i++) {
        assertMentions(e, c[i]);
      }
    }
    byte[] notUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
    assertMentions(readFails(raw(notUtf8.length, notUtf8, new byte[0])), "not valid UTF-8");
  }

  @Test
  void malformedEntries() throws IOException {
    String[][] cases = {
      {"{\"a\":1}", "tensor 'a' is the number 1 in the header, expected a JSON object"},
      {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a' has no \"dtype\""},
      {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'a' has no \"shape\""},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'a' has no \"data_offsets\""},
      {"{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype is the number 7"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "shape is the number 1"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}",
        "shape[0] is a string, expected an integer"
      },
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "dimension -1"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}",
        "dimension 4294967296"
      },
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
        "data_offsets has 3 elements, expected 2"
      },
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "negative data_offsets"
      },
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "end before they begin"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
        "unexpected field \"x\""
      },
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", "past the end"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,4]}}",
        "tensor 'a' has data_offsets [0, 4] holding 4 bytes, but shape [3] of F32 needs 12"
      },
      {"{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", "of F64 needs 8"},
      {
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
            + "\"data_offsets\":[0,4]}}",
        "needs more"
      },
      {"{\"__metadata__\":{\"k\":1}}", "__metadata__ value for \"k\" is the number 1"},
      {"{\"__metadata__\":[]}", "__metadata__ is an array"},
    };
    for (String[] c : cases) {
      assertMentions(readFails(file(c[0], floats(1))), c[1]);
    }
  }

  @Test
  void overlappingOffsets() throws IOException {
    String header =
        "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}";
    assertMentions(
        readFails(file(header, floats(1, 2, 3))), "tensor 'b'", "overlap tensor 'a' [0, 8]");
  }

  @Test
  void unsupportedDtypes() throws IOException {
    assertMentions(
        readFails(file("{" + entry("a", "I32", "[1]", 0, 4) + "}", floats(1))),
        "tensor 'a' has dtype I32, which is not supported; expected F32, F16, BF16 or F64");
    assertMentions(
        readFails(file("{" + entry("a", "Q7", "[1]", 0, 4) + "}", floats(1))),
        "tensor 'a' has dtype Q7");
  }

  @Test
  void corruptedFilesOnlyEverThrowIOException() throws IOException {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("conv.weight", new Tensor(new int[] {2, 1, 2, 2}, new float[8]));
    m.put("conv.bias", new Tensor(new int[] {2}, new float[] {1, 2}));
    Path valid = dir.resolve("valid.safetensors");
    Safetensors.write(valid, m);
    byte[] original = Files.readAllBytes(valid);
    int headerEnd = 8 + (int) ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Random r = new Random(2024);
    Path p = dir.resolve("fuzz.safetensors");
    int failures = 0;
    List<String> outcomes = new ArrayList<>();
    for (int trial = 0; trial < 500; trial++) {
      byte[] bytes = original.clone();
      int kind = trial % 5;
      if (kind == 0) { // flip a few header bytes to anything
        for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
          bytes[8 + r.nextInt(headerEnd - 8)] = (byte) r.nextInt(256);
        }
      } else if (kind == 1) { // replace a header character by JSON syntax or a digit
        String pool = "{}[]\",:0123456789-. \\u";
        bytes[8 + r.nextInt(headerEnd - 8)] = (byte) pool.charAt(r.nextInt(pool.length()));
      } else if (kind == 2) { // truncate anywhere
        bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length));
      } else if (kind == 3) { // corrupt the length prefix
        bytes[r.nextInt(8)] = (byte) r.nextInt(256);
      } else { // any byte anywhere, then maybe truncate
        bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
        if (r.nextBoolean()) {
          bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length + 1));
        }
      }
      Files.write(p, bytes);
      try {
        Safetensors.read(p);
        outcomes.add("ok");
      } catch (IOException e) {
        failures++;
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
      } catch (RuntimeException | Error e) {
        throw new AssertionError("trial " + trial + " threw " + e, e);
      }
    }
    if (failures < 250) {
      fail("most corruptions should be caught; only " + failures + " were");
    }
  }
}
