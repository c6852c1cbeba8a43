package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.compileStrict;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import dev.stride.runtime.LayerDef;
import dev.stride.runtime.NetworkDef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/** The generated class: exact text for a small net, and what the AlexNet model computes. */
class GenerationTest {
  private static final String TINY_NET =
      """
      package test;

      import dev.stride.*;

      /** Every layer kind once. */
      @Network(input = {1, 28, 28})
      public abstract class TinyNet {
        @Conv2d(outChannels = 8, kernelSize = 3, same = true) Layer conv1;
        @BatchNorm Layer bn1;
        @ReLU Layer relu1;
        @MaxPool(kernelSize = 2) Layer pool1;
        @Conv2d(outChannels = 16, kernelSize = {3, 5}, padding = {1, 1, 2, 2}, groups = 2, bias = false)
        Layer conv2;
        @Tanh Layer tanh;
        @AvgPool(kernelSize = 2, ceilMode = true, countIncludePad = false) Layer pool2;
        @Sigmoid Layer sigmoid;
        @GlobalAvgPool Layer gap;
        @Flatten Layer flatten;
        @BatchNorm(eps = 1e-3) Layer bn2;
        @Dropout(0.25) Layer drop;
        @Linear(outFeatures = 10) Layer fc;
        @Softmax Layer softmax;
      }
      """;

  @Test
  void smallNetMatchesTheGoldenFileExactly() throws IOException {
    Compilation c = compileStrict(source("TinyNet", TINY_NET));
    assertThat(c).succeededWithoutWarnings();
    String generated = generated(c, "test/TinyNetModel.java");
    String golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/TinyNetModel.java")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(generated).isEqualTo(golden);
  }

  @Test
  void aStrictBuildPassesBecauseTheProcessorClaimsItsAnnotations() {
    // -Xlint:processing warns about annotations no processor claims: the spec's and the generated
    // class's @Generated, which the processor claims, so a user's -Xlint:all -Werror build passes.
    Compilation c =
        com.google.testing.compile.Compiler.javac()
            .withProcessors(new StrideProcessor())
            .withOptions("-Xlint:all", "-Werror")
            .compile(source("TinyNet", TINY_NET));
    assertThat(c).succeededWithoutWarnings();
  }

  @Test
  void someoneElsesGeneratedAnnotationIsLeftUnclaimed() {
    Compilation c =
        com.google.testing.compile.Compiler.javac()
            .withProcessors(new StrideProcessor())
            .withOptions("-Xlint:all")
            .compile(
                source(
                    "Other",
                    """
                    package test;

                    @javax.annotation.processing.Generated("some.other.Tool")
                    class Other {}
                    """));
    assertThat(c).succeeded();
    assertThat(c).hadWarningContaining("javax.annotation.processing.Generated");
  }

  @Test
  void alexNetCountsAndSummary() throws Exception {
    Compilation c = compile(source("AlexNet", Specs.ALEXNET));
    assertThat(c).succeeded();
    String generated = generated(c, "test/AlexNetModel.java");
    assertThat(generated).contains("public static final long PARAMETER_COUNT = 46_764_746L;");
    assertThat(generated).contains("public static final long MULTIPLY_ADDS = 938_146_176L;");
    assertThat(generated).contains("public static final int INPUT_SIZE = 50176;");
    assertThat(generated).contains("public static final int OUTPUT_SIZE = 10;");
    assertThat(generated).contains("{@link AlexNet}: 46,764,746 parameters");

    CompiledClasses classes = new CompiledClasses(c);
    String summary = (String) classes.call("test.AlexNetModel", "summary");
    List<String> rows = List.of(summary.split("\n"));
    assertThat(rows.get(0)).isEqualTo("AlexNet, input [1, 224, 224]");
    List<String> shapes = new ArrayList<>();
    for (String row : rows) {
      int open = row.indexOf("  [");
      if (open >= 0) {
        shapes.add(row.substring(open + 2, row.indexOf(']', open) + 1));
      }
    }
    assertThat(shapes)
        .containsExactly(
            "[96, 54, 54]",
            "[96, 54, 54]",
            "[96, 26, 26]",
            "[256, 26, 26]",
            "[256, 26, 26]",
            "[256, 12, 12]",
            "[384, 12, 12]",
            "[384, 12, 12]",
            "[384, 12, 12]",
            "[384, 12, 12]",
            "[256, 12, 12]",
            "[256, 12, 12]",
            "[256, 5, 5]",
            "[6400]",
            "[4096]",
            "[4096]",
            "[4096]",
            "[4096]",
            "[4096]",
            "[4096]",
            "[10]")
        .inOrder();
    assertThat(summary)
        .contains(
            "conv1    Conv2d(1, 96, kernel=11, stride=4, padding=1)  [96, 54, 54]       11,712"
                + "   33,872,256");
    assertThat(summary).contains("pool1    MaxPool2d(kernel=3, stride=2)");
    assertThat(summary).contains("fc1      Linear(6400, 4096)");
    assertThat(summary).contains("drop1    Dropout(p=0.5)");
    assertThat(summary).contains("\nTotal params: 46,764,746\n");
    assertThat(summary).contains("\nMultiply-adds per sample: 938,146,176\n");

    // The runtime's table agrees: its builder recomputes nothing but checks each layer's input.
    NetworkDef network = (NetworkDef) classes.call("test.AlexNetModel", "definition");
    assertThat(network.layers()).hasSize(21);
    LayerDef.Conv2d conv1 = (LayerDef.Conv2d) network.layers().get(0);
    assertThat(conv1.out().dims()).asList().containsExactly(96, 54, 54).inOrder();
    assertThat(conv1.padBottom()).isEqualTo(1);
    assertThat(network.output().dims()).asList().containsExactly(10);
  }

  @Test
  void sameAtStrideTwoPutsTheOddPixelBottomRight() throws Exception {
    Compilation c =
        compile(
            Specs.net(
                "{3, 224, 224}",
                "  @Conv2d(outChannels = 8, kernelSize = 7, stride = 2, same = true) Layer conv;\n"));
    assertThat(c).succeededWithoutWarnings();
    // out = ceil(224 / 2) = 112, total padding = 111*2 + 7 - 224 = 5: 2 before, 3 after.
    assertThat(generated(c, "test/NetModel.java"))
        .containsMatch(
            "\"conv +Conv2d 8 k=7x7 s=2x2 p=2,3,2,3 d=1x1 g=1 bias same +-> \\[8, 112, 112\\]\"");
  }

  @Test
  void flatInputsAsPyTorchAllowsThem() throws Exception {
    // Flatten of a flat input is the identity; batch norm per feature; dropout 0 is allowed.
    Compilation c =
        compile(
            Specs.net(
                "{784}",
                "  @Flatten Layer flatten;\n  @BatchNorm Layer bn;\n  @Dropout(0.0) Layer drop;\n"
                    + "  @Linear(inFeatures = 784, outFeatures = 10, bias = false) Layer fc;\n"
                    + "  @Softmax Layer softmax;\n"));
    assertThat(c).succeededWithoutWarnings();
    String summary = (String) new CompiledClasses(c).call("test.NetModel", "summary");
    assertThat(summary).contains("flatten  Flatten");
    assertThat(summary).contains("bn       BatchNorm1d(784)");
    assertThat(summary).contains("fc       Linear(784, 10, bias=False)  [10]");
    // 2 * 784 (batch norm) + 784 * 10 (linear, no bias).
    assertThat(summary).contains("Total params: 9,408\n");
  }

  @Test
  void nestedSpecIsNamedAfterItsEnclosingClasses() throws IOException {
    Compilation c =
        compile(
            source(
                "Outer",
                """
                package test;
                import dev.stride.*;
                public class Outer {
                  /** Nested, public, not abstract. */
                  @Network(input = {4})
                  public static class Inner {
                    @Linear(outFeatures = 2) Layer fc;
                  }
                }
                """));
    assertThat(c).succeededWithoutWarnings();
    String generated = generated(c, "test/Outer_InnerModel.java");
    assertThat(generated).contains("public final class Outer_InnerModel implements Model {");
    assertThat(generated).contains("The network of {@link Outer.Inner}: 10 parameters");
    assertThat(generated).contains("NetworkDef.table(\"Outer.Inner\", new int[] {4},");
  }

  @Test
  void packagePrivateSpecGetsAPackagePrivateModel() throws IOException {
    Compilation c = compile(Specs.net("{4}", "  @Linear(outFeatures = 2) Layer fc;\n"));
    assertThat(c).succeededWithoutWarnings();
    String generated = generated(c, "test/NetModel.java");
    assertThat(generated).contains("\nfinal class NetModel implements Model {");
    assertThat(generated).doesNotContain("public final class");
  }

  @Test
  void specInTheUnnamedPackage() throws IOException {
    Compilation c =
        compile(
            com.google.testing.compile.JavaFileObjects.forSourceString(
                "Flat",
                "import dev.stride.*;\n@Network(input = {4}) class Flat { @ReLU Layer relu; }\n"));
    assertThat(c).succeededWithoutWarnings();
    assertThat(c)
        .generatedSourceFile("FlatModel")
        .contentsAsUtf8String()
        .contains("class FlatModel");
  }

  @Test
  void largeNetworksAreOneRowPerNode() throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      body.append("  @Conv2d(outChannels = 4, kernelSize = 3, padding = 1) Layer conv")
          .append(i)
          .append(";\n  @ReLU Layer relu")
          .append(i)
          .append(";\n");
    }
    Compilation c = compileStrict(Specs.net("{4, 8, 8}", body.toString()));
    assertThat(c).succeededWithoutWarnings();
    String generated = generated(c, "test/NetModel.java");
    assertThat(generated).containsMatch("\"relu299 +ReLU +-> \\[4, 8, 8\\]\"\\)");
    assertThat(generated.lines().filter(l -> l.contains("-> [4, 8, 8]")).count()).isEqualTo(600);
    NetworkDef network = (NetworkDef) new CompiledClasses(c).call("test.NetModel", "definition");
    assertThat(network.layers()).hasSize(600);
    assertThat(network.layers().get(599).name()).isEqualTo("relu299");
  }

  private static String generated(Compilation c, String path) throws IOException {
    JavaFileObject file =
        c.generatedFile(StandardLocation.SOURCE_OUTPUT, path)
            .orElseThrow(() -> new AssertionError("not generated: " + path));
    return file.getCharContent(false).toString();
  }
}
