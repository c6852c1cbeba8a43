package dev.stride.runtime.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** The files tools/make_torch_fixtures.py wrote, and zips made here around hand-written pickles. */
final class Fixtures {
  private Fixtures() {}

  /** One line of expected.txt: PyTorch's {@code t.contiguous().float()} as float32 bits. */
  record Expected(String file, String key, int[] shape, int[] bits) {
    @Override
    public String toString() {
      return file + " " + key;
    }
  }

  static Path torch(String name) {
    URL url = Fixtures.class.getResource("/torch/" + name);
    if (url == null) {
      throw new IllegalStateException(
          "missing test resource torch/" + name + ": run tools/make_torch_fixtures.py");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Expected> expected() {
    try {
      List<Expected> out = new ArrayList<>();
      for (String line : Files.readAllLines(torch("expected.txt"), StandardCharsets.UTF_8)) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] parts = line.trim().split(" ");
        String dims = parts[2].substring(1, parts[2].length() - 1);
        int[] shape =
            dims.isEmpty()
                ? new int[0]
                : java.util.Arrays.stream(dims.split(",")).mapToInt(Integer::parseInt).toArray();
        int[] bits = new int[parts.length - 3];
        for (int i = 0; i < bits.length; i++) {
          bits[i] = Integer.parseUnsignedInt(parts[i + 3], 16);
        }
        out.add(new Expected(parts[0], parts[1], shape, bits));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A torch.save-shaped zip: {@code archive/data.pkl} holding {@code pickle}, plus storages. */
  static byte[] zip(byte[] pickle, String... storageKeysAndHex) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      put(z, "archive/data.pkl", pickle);
      for (int i = 0; i < storageKeysAndHex.length; i += 2) {
        put(z, "archive/data/" + storageKeysAndHex[i], hex(storageKeysAndHex[i + 1]));
      }
      put(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return bytes.toByteArray();
  }

  private static void put(ZipOutputStream z, String name, byte[] data) throws IOException {
    z.putNextEntry(new ZipEntry(name));
    z.write(data);
    z.closeEntry();
  }

  /** Pickle bytes written as text: {@code \xNN} and {@code \n} escapes, other characters as is. */
  static byte[] pickle(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length() && text.charAt(i + 1) == 'n') {
        out.write('\n');
        i += 1;
      } else if (c == '\\' && i + 3 < text.length() && text.charAt(i + 1) == 'x') {
        out.write(Integer.parseInt(text.substring(i + 2, i + 4), 16));
        i += 3;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }

  static byte[] hex(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }
}
