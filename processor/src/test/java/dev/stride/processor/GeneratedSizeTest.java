package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static dev.stride.processor.Specs.compile;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * The generated class grows by a line of its node table and a summary row per node, whatever the
 * network's depth: javac then compiles a ResNet-152 about as fast as a 3-layer network, as {@code
 * benchmarks/compile-time/run.sh} times. Checked by size, not by time.
 */
class GeneratedSizeTest {
  /** The spec {@code run.sh} times: 515 layers through {@code @Repeat}'d bottleneck blocks. */
  private static final Path RESNET152 =
      Path.of("..", "benchmarks", "compile-time", "ResNet152.java");

  private static final String SMALL =
      """
      package bench;
      import dev.stride.*;
      @Network(input = {16, 32, 32})
      abstract class Small {
        @Conv2d(outChannels = 16, kernelSize = 3, padding = 1) Layer conv;
        @ReLU Layer relu;
        @Flatten Layer flatten;
      }
      """;

  /** A node's table row and summary row: its path twice, its kind and attributes, its shape. */
  private static final int MAX_CHARS_PER_NODE = 320;

  @Test
  void resnet152IsANodeLineAndASummaryRowPerNode() throws IOException {
    String small = generated(JavaFileObjects.forSourceString("bench.Small", SMALL), "Small");
    String large =
        generated(
            JavaFileObjects.forSourceString(
                "bench.ResNet152", Files.readString(RESNET152, StandardCharsets.UTF_8)),
            "ResNet152");
    int smallNodes = nodeLines(small);
    int largeNodes = nodeLines(large);
    assertThat(smallNodes).isEqualTo(3);
    assertThat(largeNodes).isEqualTo(515);
    int extraNodes = largeNodes - smallNodes;
    // Beyond the fixed members, two lines per node, plus the summary's few header rows.
    assertThat(lines(large) - lines(small)).isAtMost(2 * extraNodes + 8);
    assertThat(large.length() - small.length()).isAtMost(MAX_CHARS_PER_NODE * extraNodes);
  }

  private static String generated(JavaFileObject spec, String name) throws IOException {
    Compilation c = compile(spec);
    for (Diagnostic<? extends JavaFileObject> d : c.diagnostics()) {
      assertThat(d.getKind()).isNotEqualTo(Diagnostic.Kind.ERROR);
    }
    for (JavaFileObject file : c.generatedFiles()) {
      if (file.getKind() == JavaFileObject.Kind.SOURCE
          && file.toUri().getPath().endsWith("bench/" + name + "Model.java")) {
        return file.getCharContent(true).toString();
      }
    }
    throw new AssertionError("no " + name + "Model generated: " + c.generatedFiles());
  }

  /**
   * Lines that define a node: a {@code NetworkDef.table} row (a string literal ending in an output
   * shape) or, for a chain, a builder call with its shape comment.
   */
  private static int nodeLines(String source) {
    int rows = 0;
    for (String line : source.split("\n", -1)) {
      String s = line.strip();
      if (s.startsWith("\"") && s.matches(".* -> \\[[0-9, ]+\\]\",?\\)?;?")
          || s.startsWith(".") && s.matches("\\.\\w+\\(\".*\\) // \\(N, [0-9, ]+\\)")) {
        rows++;
      }
    }
    return rows;
  }

  private static int lines(String source) {
    return source.split("\n", -1).length;
  }
}
