package dev.stride.processor;

import static com.google.common.truth.Truth.assertWithMessage;

import dev.stride.processor.check.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.Diagnostic.Kind;
import org.junit.jupiter.api.Test;

/**
 * Fails when a diagnostic in the catalogue has no entry in the user's catalogue, {@code
 * docs/diagnostics.md}, or that page describes one that no longer exists.
 */
class DiagnosticsDocTest {
  /** The page, from the processor module's directory, where the build runs the tests. */
  private static final Path PAGE = Path.of("..", "docs", "diagnostics.md");

  /** An entry's heading: {@code ### `NAME`}. */
  private static final Pattern ENTRY =
      Pattern.compile("^### `([A-Z0-9_]+)`\\s*$", Pattern.MULTILINE);

  @Test
  void everyMessageHasAnEntryWithAnExample() throws IOException {
    String page = Files.readString(PAGE, StandardCharsets.UTF_8);
    Set<String> catalogue =
        Arrays.stream(Message.values())
            .map(Enum::name)
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> documented = new TreeSet<>();
    Matcher m = ENTRY.matcher(page);
    while (m.find()) {
      documented.add(m.group(1));
      if (!catalogue.contains(m.group(1))) {
        continue;
      }
      int end = page.indexOf("\n### ", m.end());
      String entry = page.substring(m.end(), end < 0 ? page.length() : end);
      assertWithMessage("the entry for %s in %s has no example message", m.group(1), PAGE)
          .that(entry)
          .contains(Message.valueOf(m.group(1)).kind() == Kind.WARNING ? "warning: " : "error: ");
    }
    Set<String> missing = new TreeSet<>(catalogue);
    missing.removeAll(documented);
    assertWithMessage("catalogue entries without a section `### `NAME`` in %s", PAGE)
        .that(missing)
        .isEmpty();
    Set<String> stale = new TreeSet<>(documented);
    stale.removeAll(catalogue);
    assertWithMessage("sections of %s for no catalogue entry", PAGE).that(stale).isEmpty();
  }
}
