package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.net;

import com.google.testing.compile.Compilation;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** All mistakes of a class come out of one compilation, and checking goes on after each. */
class MultipleMistakesTest {
  @Test
  void everyMistakeIsReportedAtOnce() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            """
              @Conv2d(outChannels = 16, kernelSize = 3, inChannels = 4) Layer conv1;
              @MaxPool(kernelSize = 2, padding = 2) Layer pool1;
              @Conv2d(outChannels = 8, kernelSize = {3, 3, 3}) Layer conv2;
              @Dropout(1.5) Layer drop;
              @ReLU @Tanh Layer act;
              @Linear(outFeatures = 100, inFeatures = 7) Layer fc1;
              @Linear(outFeatures = 10, inFeatures = 99) Layer fc2;
              @BatchNorm(eps = -1) Layer bn;
              @Conv2d(outChannels = 4, kernelSize = 3) Layer conv3;
            """);
    Compilation c = compile(f);
    assertThat(c).failed();
    // A wrong inChannels does not stop shape inference: pool1 still sees [16, 30, 30].
    assertThat(c).hadErrorContaining("conv1: @Conv2d(inChannels = 4) but its input [3, 32, 32]");
    assertThat(c).hadErrorContaining("pool1: @MaxPool(padding = 2) pads 2");
    assertThat(c).hadErrorContaining("conv2: @Conv2d(kernelSize = {3, 3, 3}) has 3 values");
    assertThat(c).hadErrorContaining("drop: @Dropout(1.5)");
    assertThat(c).hadErrorContaining("act: a field is one layer, but this one has @ReLU and @Tanh");
    // conv2's shape is unknown, so fc1's inFeatures cannot be judged: no made-up error for it.
    // fc1 declares 100 outputs, so fc2's input is known again.
    assertThat(c)
        .hadErrorContaining(
            "fc2: @Linear(inFeatures = 99) but its input is [100]; write inFeatures = 100")
        .inFile(f)
        .onLineContaining("Layer fc2;");
    assertThat(c).hadErrorContaining("bn: @BatchNorm(eps = -1.0)");
    assertThat(c)
        .hadErrorContaining(
            "conv3: @Conv2d needs a (C, H, W) input, but its input is the flat [10]");
    assertThat(c).hadErrorCount(8);
  }

  @Test
  void attributeChecksRunEvenWithoutAShape() {
    // An invalid input shape leaves every layer's input unknown; the values are still checked.
    JavaFileObject f =
        net(
            "{3, 32}",
            "  @Conv2d(outChannels = 8, kernelSize = 0) Layer conv;\n  @Dropout(-0.1) Layer drop;\n");
    Compilation c = compile(f);
    assertThat(c).hadErrorContaining("Net: @Network(input = {3, 32}) has 2 values");
    assertThat(c)
        .hadErrorContaining("conv: @Conv2d(kernelSize = 0): the kernel size must be at least 1");
    assertThat(c).hadErrorContaining("drop: @Dropout(-0.1)");
    assertThat(c).hadErrorCount(3);
    assertThat(c.diagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).count())
        .isEqualTo(3);
  }

  /** Three independent mistakes, one a block's: each reported once, in any order, nothing else. */
  @Test
  void threeIndependentMistakesInEveryOrder() {
    // A mistake inside a block use whose output keeps only its channels.
    String concat = "  Cat cat;\n";
    // A wrong inChannels, judged on what is known: after the failed block, its channels.
    String conv = "  @Conv2d(outChannels = 8, kernelSize = 3, inChannels = 5) Layer conv2;\n";
    // Groups that do not divide the output channels, whatever the input.
    String groups = "  @Conv2d(outChannels = 4, kernelSize = 1, groups = 3) Layer conv3;\n";
    String[][] orders = {
      {concat, conv, groups},
      {concat, groups, conv},
      {conv, concat, groups},
      {conv, groups, concat},
      {groups, concat, conv},
      {groups, conv, concat}
    };
    for (String[] order : orders) {
      JavaFileObject f =
          BlockDiagnosticsTest.spec(
              "{3, 16, 16}",
              "  @Conv2d(outChannels = 6, kernelSize = 1) Layer conv1;\n"
                  + String.join("", order)
                  + "  @ReLU Layer relu;\n",
              """
              @Block abstract class Cat {
                @Conv2d(outChannels = 2, kernelSize = 3) Layer conv;
                @Concat Layer join;
              }
              """);
      Compilation c = compile(f);
      assertThat(c)
          .hadErrorContaining("@Concat joins along channels")
          .inFile(f)
          .onLineContaining("Cat cat;");
      assertThat(c)
          .hadErrorContaining("conv2: @Conv2d(inChannels = 5) but its input")
          .inFile(f)
          .onLineContaining("Layer conv2;");
      assertThat(c)
          .hadErrorContaining("conv3: @Conv2d(groups = 3) must divide both channel counts")
          .inFile(f)
          .onLineContaining("Layer conv3;");
      assertThat(c).hadErrorCount(3);
    }
  }
}
