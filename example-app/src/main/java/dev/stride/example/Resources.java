package dev.stride.example;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The example's files under {@code fashion-mnist/} on the classpath. */
final class Resources {
  private Resources() {}

  static InputStream open(String name) throws IOException {
    InputStream in = Resources.class.getResourceAsStream("/fashion-mnist/" + name);
    if (in == null) {
      throw new FileNotFoundException("resource fashion-mnist/" + name + " is missing");
    }
    return in;
  }

  static String text(String name) throws IOException {
    try (InputStream in = open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * A resource as a file, because weights files are read with random access; the copy is deleted
   * when the JVM exits.
   */
  static Path file(String name) throws IOException {
    Path copy = Files.createTempFile("stride-", "-" + name);
    copy.toFile().deleteOnExit();
    try (InputStream in = open(name)) {
      Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
    }
    return copy;
  }
}
