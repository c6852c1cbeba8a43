package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.common.truth.Truth.assertWithMessage;
import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.net;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed specs fail with javac's errors or ours, never with a processor crash. */
class RobustnessTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        // A required attribute left out.
        "  @Conv2d(kernelSize = 3) Layer conv;\n  @Linear(outFeatures = 2) Layer fc;\n",
        "  @Linear Layer fc;\n",
        "  @MaxPool Layer pool;\n",
        // Non-constant values.
        "  static int k = 3;\n  @Conv2d(outChannels = 8, kernelSize = k) Layer conv;\n",
        "  static int[] k = {3};\n  @Conv2d(outChannels = 8, kernelSize = k) Layer conv;\n",
        "  double p = 0.1;\n  @Dropout(p) Layer drop;\n",
        // Wrongly typed values.
        "  @Conv2d(outChannels = \"8\", kernelSize = 3) Layer conv;\n",
        "  @Conv2d(outChannels = 8, kernelSize = 3.5) Layer conv;\n",
        "  @Dropout(\"half\") Layer drop;\n",
        "  @BatchNorm(eps = true) Layer bn;\n",
        "  @Linear(outFeatures = 10, bias = 1) Layer fc;\n",
        // Unknown attributes and types.
        "  @Linear(outFeatures = 10, units = 3) Layer fc;\n",
        "  @ReLU Lyer relu;\n",
        "  @Relu Layer relu;\n",
        // Empty and degenerate arrays.
        "  @Conv2d(outChannels = 8, kernelSize = {}) Layer conv;\n",
        "  @Conv2d(outChannels = 8, kernelSize = 3, stride = {}, dilation = {}) Layer conv;\n",
        "  @MaxPool(kernelSize = {}, padding = {}) Layer pool;\n",
        "  @AvgPool(kernelSize = 3, padding = {1, 1, 1, 1, 1}) Layer pool;\n",
        "  @Conv2d(outChannels = 8, kernelSize = 3, groups = 0) Layer conv;\n",
        "  @Conv2d(outChannels = 8, kernelSize = 3, inChannels = -1) Layer conv;\n",
        "  @Linear(outFeatures = -1, inFeatures = -1) Layer fc;\n",
        "  @Conv2d(outChannels = 8, kernelSize = 2147483647, padding = 2147483647) Layer conv;\n",
        "  @Conv2d(outChannels = 2147483647, kernelSize = 1) Layer conv;\n"
            + "  @Flatten Layer flat;\n  @Linear(outFeatures = 2147483647) Layer fc;\n",
        "  @Dropout(Double.NaN) Layer drop;\n  @BatchNorm(eps = Double.NaN) Layer bn;\n",
        // Not a layer at all.
        "  @ReLU void relu() {}\n",
        "  void relu(@ReLU Layer x) {}\n  @ReLU Layer r;\n",
        // Nothing at all.
        "",
      })
  void malformedLayers(String body) {
    JavaFileObject f = net("{3, 8, 8}", body);
    Compilation c = compile(f);
    assertThat(c).failed();
    assertNoCrash(c);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "@Network abstract class Net { @ReLU Layer relu; }",
        "@Network(input = {}) abstract class Net { @ReLU Layer relu; }",
        "@Network(input = \"x\") abstract class Net { @ReLU Layer relu; }",
        "@Network(input = {1, 2, 3, 4}) abstract class Net { @ReLU Layer relu; }",
        "@Network(input = {-1}) abstract class Net { @ReLU Layer relu; }",
        "@Network(input = {4}) enum Net { A; @ReLU Layer relu; }",
        "@Network(input = {4}) record Net(@ReLU Layer relu) {}",
        "@Network(input = {4}) @interface Net { }",
        "@Network(input = {4}) interface Net { @ReLU Layer relu = null; }",
        "class Net { @Network(input = {4}) Layer relu; }",
        "class Net { @ReLU @Sigmoid static Layer relu; }",
        "@Network(input = {4}) abstract class Net<T> { @ReLU Layer relu; @ReLU T other; }",
        "@Network(input = {4}) abstract class Net { @ReLU Layer relu; class Inner { @ReLU Layer x; } }",
      })
  void malformedSpecs(String spec) {
    Compilation c = compile(source("Net", "package test;\nimport dev.stride.*;\n" + spec + "\n"));
    assertThat(c).failed();
    assertNoCrash(c);
  }

  private static void assertNoCrash(Compilation c) {
    for (Diagnostic<?> d : c.diagnostics()) {
      String message = d.getMessage(Locale.ROOT);
      assertWithMessage("a diagnostic looks like a crash")
          .that(message)
          .doesNotContain("Exception");
      assertWithMessage("a diagnostic looks like a crash")
          .that(message)
          .doesNotContain("at dev.stride");
      assertWithMessage("a diagnostic looks like a crash")
          .that(message)
          .doesNotContain("failed unexpectedly");
    }
    assertThat(c.errors()).isNotEmpty();
  }
}
