package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's set-up snippets are the files of {@code src/it/readme-project}, which the invoker
 * plugin builds with plain {@code mvn compile}: a snippet that stops compiling fails the build, and
 * a snippet edited in one place only fails this test.
 *
 * <p>In the README, a snippet that is a file of that project follows a line {@code <!--
 * readme-project: PATH -->}, which Markdown renders as nothing.
 */
class ReadmeProjectTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path PROJECT = Path.of("src", "it", "readme-project");

  /** The marker line, then a fenced block; group 1 is the path, group 2 the block's text. */
  private static final Pattern SNIPPET =
      Pattern.compile(
          "^<!-- readme-project: (\\S+) -->\\n```[a-z]*\\n(.*?)^```$",
          Pattern.MULTILINE | Pattern.DOTALL);

  /** The invoker's own control file, which is no file of the user's project. */
  private static final String INVOKER_FILE = "invoker.properties";

  @Test
  void everyFileOfTheProjectIsTheReadmesSnippetVerbatim() throws IOException {
    Map<String, String> snippets = snippets();
    Map<String, String> files = projectFiles();
    assertTrue(
        snippets
            .keySet()
            .containsAll(
                List.of(
                    "pom.xml", "src/main/java/shop/LeNet.java", "src/main/java/shop/Main.java")),
        "README's marked snippets: " + snippets.keySet());
    assertEquals(
        files.keySet(),
        snippets.keySet(),
        "the README's marked snippets and the files of " + PROJECT + " differ");
    for (Map.Entry<String, String> e : snippets.entrySet()) {
      assertEquals(
          e.getValue(),
          files.get(e.getKey()),
          e.getKey() + " differs from its snippet in README.md; copy one to the other");
    }
  }

  @Test
  void theProjectUsesTheBuildsVersion() throws IOException {
    // The README's pom names Stride's version; a new version must reach the README too.
    String pom = projectFiles().get("pom.xml");
    String version = System.getProperty("stride.version");
    assertTrue(version != null && !version.isEmpty(), "surefire passes -Dstride.version");
    assertTrue(
        pom.contains("<version>" + version + "</version>"),
        "the README's pom.xml does not name version " + version);
  }

  private static Map<String, String> snippets() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8).replace("\r\n", "\n");
    Map<String, String> snippets = new TreeMap<>();
    Matcher m = SNIPPET.matcher(readme);
    while (m.find()) {
      String previous = snippets.put(m.group(1), m.group(2));
      assertEquals(null, previous, "two README snippets for " + m.group(1));
    }
    return snippets;
  }

  private static Map<String, String> projectFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(PROJECT)) {
      return walk.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().equals(INVOKER_FILE))
          .collect(
              Collectors.toMap(
                  p -> PROJECT.relativize(p).toString().replace('\\', '/'),
                  ReadmeProjectTest::read,
                  (a, b) -> a,
                  TreeMap::new));
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
