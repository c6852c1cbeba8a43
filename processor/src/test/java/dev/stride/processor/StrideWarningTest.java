package dev.stride.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.net;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import dev.stride.processor.check.Message;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** The one warning: a stride that leaves input rows or columns unused, and how to silence it. */
class StrideWarningTest {
  private static final String CONV1 =
      "  @Conv2d(outChannels = 96, kernelSize = 11, stride = 4, padding = 1) Layer conv1;\n";

  @Test
  @Covers(Message.UNUSED_INPUT)
  void alexNetsFirstLayerDropsThreeRowsAndColumns() {
    JavaFileObject f = net("{1, 224, 224}", CONV1);
    Compilation c = compile(f);
    assertThat(c).succeeded();
    assertThat(c).hadWarningCount(1);
    assertThat(c)
        .hadWarningContaining(
            "conv1: stride 4 leaves 3 input rows and 3 input columns unused: (224 + 1 + 1 - 11) %"
                + " 4 = 3;")
        .inFile(f)
        .onLineContaining("Layer conv1;");
    assertThat(c).hadWarningContaining("suppress with @SuppressWarnings(\"stride\")");
  }

  @Test
  void rowsAndColumnsAreCountedApart() {
    JavaFileObject f =
        net("{1, 10, 9}", "  @MaxPool(kernelSize = 2, stride = {3, 2}) Layer pool;\n");
    Compilation c = compile(f);
    assertThat(c).succeeded();
    assertThat(c)
        .hadWarningContaining(
            "pool: stride {3, 2} leaves 2 input rows and 1 input column unused: rows (10 + 0 + 0 -"
                + " 2) % 3 = 2, columns (9 + 0 + 0 - 2) % 2 = 1;")
        .inFile(f)
        .onLineContaining("Layer pool;");
  }

  @Test
  void suppressedOnTheField() {
    JavaFileObject f = net("{1, 224, 224}", "  @SuppressWarnings(\"stride\")\n" + CONV1);
    assertThat(compile(f)).succeededWithoutWarnings();
  }

  @Test
  void suppressedOnTheClass() {
    JavaFileObject f =
        source(
            "Net",
            "package test;\nimport dev.stride.*;\n@SuppressWarnings(\"stride\")\n"
                + "@Network(input = {1, 224, 224})\nabstract class Net {\n"
                + CONV1
                + "}\n");
    assertThat(compile(f)).succeededWithoutWarnings();
  }

  @Test
  void suppressedOnTheEnclosingClass() {
    JavaFileObject f =
        source(
            "Outer",
            "package test;\nimport dev.stride.*;\n@SuppressWarnings(\"stride\")\nclass Outer {\n"
                + "@Network(input = {1, 224, 224})\nabstract static class Net {\n"
                + CONV1
                + "}\n}\n");
    assertThat(compile(f)).succeededWithoutWarnings();
  }

  @Test
  void otherSuppressionsDoNotSilenceIt() {
    JavaFileObject f = net("{1, 224, 224}", "  @SuppressWarnings(\"unchecked\")\n" + CONV1);
    assertThat(compile(f)).hadWarningCount(1);
  }

  @Test
  void noWarningWhenTheWindowsTileTheInput() {
    // 28 + 2 - 3 = 27 is no multiple of 2, but same padding and ceil mode use every row.
    JavaFileObject f =
        net(
            "{1, 28, 28}",
            "  @Conv2d(outChannels = 4, kernelSize = 3, stride = 2, same = true) Layer conv;\n"
                + "  @MaxPool(kernelSize = 2, stride = 2, ceilMode = true) Layer pool;\n"
                + "  @Conv2d(outChannels = 4, kernelSize = 3, padding = 1) Layer conv2;\n");
    assertThat(compile(f)).succeededWithoutWarnings();
  }
}
