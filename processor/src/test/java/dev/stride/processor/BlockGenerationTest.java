package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import java.io.IOException;
import java.util.List;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/** Networks of blocks: their counts, summary rows and node table, as generated. */
class BlockGenerationTest {
  /** CONTRACT.md's ResNet18. */
  static final String RESNET18 =
      """
      package test;

      import dev.stride.*;

      @Network(input = {3, 224, 224})
      abstract class ResNet18 {
        @Conv2d(outChannels = 64, kernelSize = 7, stride = 2, padding = 3, bias = false) Layer conv1;
        @BatchNorm Layer bn1;
        @ReLU Layer relu;
        @MaxPool(kernelSize = 3, stride = 2, padding = 1) Layer maxpool;
        @Repeat(2) @Args(64) Basic layer1;
        @Repeat(value = 2, first = Down.class) @Args(128) Basic layer2;
        @Repeat(value = 2, first = Down.class) @Args(256) Basic layer3;
        @Repeat(value = 2, first = Down.class) @Args(512) Basic layer4;
        @GlobalAvgPool Layer avgpool;
        @Flatten Layer flatten;
        @Linear(outFeatures = 1000) Layer fc;
      }

      @Block abstract class Basic {
        @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false) Layer conv1;
        @BatchNorm Layer bn1;
        @ReLU Layer relu1;
        @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false) Layer conv2;
        @BatchNorm Layer bn2;
        @Add Layer add;
        @ReLU Layer relu2;
      }

      @Block abstract class Projection {
        @Conv2d(outChannels = Arg.A, kernelSize = 1, stride = 2, bias = false) Layer conv;
        @BatchNorm Layer bn;
      }

      @Block abstract class Down {
        @Conv2d(outChannels = Arg.A, kernelSize = 3, stride = 2, padding = 1, bias = false) Layer conv1;
        @BatchNorm Layer bn1;
        @ReLU Layer relu1;
        @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false) Layer conv2;
        @BatchNorm Layer bn2;
        @Shortcut @Args(Arg.A) Projection downsample;
        @Add Layer add;
        @ReLU Layer relu2;
      }
      """;

  @Test
  void resnet18CountsAsTorchvision() throws IOException {
    Compilation c = compile(source("ResNet18", RESNET18), TABLE);
    assertClean(c);
    String model = generated(c, "test/ResNet18Model.java");
    // torchvision.models.resnet18(): sum(p.numel() for p in m.parameters()) == 11689512.
    assertThat(model).contains("PARAMETER_COUNT = 11_689_512L;");
    assertThat(model).contains("\"Total params: 11,689,512\"");
    // One summary row per node, named by its dotted path, in forward order.
    assertThat(model).containsMatch("\"layer1\\.0\\.conv1 +Conv2d\\(64, 64, kernel=3, padding=1");
    assertThat(model)
        .containsMatch(
            "\"layer2\\.0\\.downsample\\.conv +Conv2d\\(64, 128, kernel=1, stride=2,"
                + " bias=False\\) +\\[128, 28, 28\\] +8,192");
    assertThat(model).containsMatch("\"layer4\\.1\\.relu2 +ReLU +\\[512, 7, 7\\]");
    int bn2 = model.indexOf("\"layer2.0.bn2 ");
    int downsample = model.indexOf("\"layer2.0.downsample.conv ");
    int add = model.indexOf("\"layer2.0.add ");
    assertThat(bn2).isLessThan(downsample);
    assertThat(downsample).isLessThan(add);
    // The node table: the adds name their operands, the shortcut reads the block input.
    assertThat(model)
        .containsMatch(
            "\"layer1\\.0\\.add +Add <- layer1\\.0\\.bn2, maxpool +-> \\[64, 56, 56\\]\"");
    assertThat(model)
        .containsMatch(
            "\"layer2\\.0\\.downsample\\.conv +Conv2d 128 k=1x1 s=2x2 p=0,0,0,0 d=1x1 g=1 nobias"
                + " +<- layer1\\.1\\.relu2 +-> \\[128, 28, 28\\]\"");
    assertThat(model)
        .containsMatch(
            "\"layer2\\.0\\.add +Add <- layer2\\.0\\.bn2, layer2\\.0\\.downsample\\.bn +->"
                + " \\[128, 28, 28\\]\"");
    assertThat(model).contains("NetworkDef.table(\"ResNet18\", new int[] {3, 224, 224}");
  }

  @Test
  void inceptionBranchesConcatenateInFieldOrder() throws IOException {
    JavaFileObject f =
        source(
            "GoogLeNetPart",
            """
            package test;
            import dev.stride.*;
            @Network(input = {192, 28, 28})
            abstract class GoogLeNetPart {
              @Args({64, 96, 128, 16, 32, 32}) Inception b3a;
            }
            @Block @Parallel abstract class Inception {
              @Conv2d(outChannels = Arg.A, kernelSize = 1) Layer p1;
              @Args({Arg.B, Arg.C, 3}) Reduce p2;
              @Args({Arg.D, Arg.E, 5}) Reduce p3;
              @Args(Arg.F) Pool p4;
            }
            @Block abstract class Reduce {
              @Conv2d(outChannels = Arg.A, kernelSize = 1) Layer conv1;
              @ReLU Layer relu1;
              @Conv2d(outChannels = Arg.B, kernelSize = Arg.C, same = true) Layer conv2;
              @ReLU Layer relu2;
            }
            @Block abstract class Pool {
              @MaxPool(kernelSize = 3, stride = 1, padding = 1) Layer pool;
              @Conv2d(outChannels = Arg.A, kernelSize = 1) Layer conv;
            }
            """);
    Compilation c = compile(f, TABLE);
    assertClean(c);
    String model = generated(c, "test/GoogLeNetPartModel.java");
    // d2l's Inception(192, 64, (96, 128), (16, 32), 32): 163,696 parameters, 256 channels out.
    assertThat(model).contains("PARAMETER_COUNT = 163_696L;");
    assertThat(model)
        .containsMatch(
            "\"b3a +Concat <- b3a\\.p1, b3a\\.p2\\.relu2, b3a\\.p3\\.relu2, b3a\\.p4\\.conv +->"
                + " \\[256, 28, 28\\]\"");
    assertThat(model).containsMatch("\"b3a\\.p3\\.conv2 +Conv2d 32 k=5x5");
    assertThat(model)
        .containsMatch("\"b3a\\.p4\\.pool +MaxPool k=3x3 s=1x1 p=1,1,1,1 +<- \\(input\\)");
  }

  @Test
  void argsReachRepeatAndNestedBlocksMixedWithLiterals() throws IOException {
    JavaFileObject f =
        source(
            "Stack",
            """
            package test;
            import dev.stride.*;
            @Network(input = {4})
            abstract class Stack {
              @Args({3, 8}) Deep deep;
            }
            @Block abstract class Deep {
              @Repeat(Arg.A) @Args({Arg.B, 2}) Pair fc;
            }
            @Block abstract class Pair {
              @Linear(outFeatures = Arg.A) Layer a;
              @ReLU6 Layer act;
              @Linear(outFeatures = Arg.B) Layer b;
            }
            """);
    Compilation c = compile(f, TABLE);
    assertClean(c);
    String model = generated(c, "test/StackModel.java");
    // (4*8 + 8) + (8*2 + 2) for copy 0, then (2*8 + 8) + (8*2 + 2) for copies 1 and 2.
    assertThat(model).contains("PARAMETER_COUNT = 142L;");
    assertThat(model).containsMatch("\"deep\\.fc\\.0\\.a +Linear 8 bias +-> \\[8\\]\"");
    assertThat(model).containsMatch("\"deep\\.fc\\.1\\.act +ReLU6 +-> \\[8\\]\"");
    assertThat(model).containsMatch("\"deep\\.fc\\.2\\.b +Linear 2 bias +-> \\[2\\]\"");
    assertThat(model).doesNotContain("deep.fc.3");
  }

  /**
   * {@code NetworkDef} with the {@code table} factory the generated class calls, standing in for
   * the runtime's (a source in the compilation wins over the class path) until the runtime has it.
   */
  private static final JavaFileObject TABLE =
      JavaFileObjects.forSourceString(
          "dev.stride.runtime.NetworkDef",
          """
          package dev.stride.runtime;
          public final class NetworkDef {
            public static NetworkDef table(String name, int[] input, String... rows) {
              return new NetworkDef();
            }
          }
          """);

  private static void assertClean(Compilation c) {
    for (Diagnostic<? extends JavaFileObject> d : c.diagnostics()) {
      assertThat(d.getKind()).isNotEqualTo(Diagnostic.Kind.ERROR);
    }
  }

  private static String generated(Compilation c, String path) throws IOException {
    List<JavaFileObject> files = c.generatedFiles();
    for (JavaFileObject file : files) {
      if (file.getKind() == JavaFileObject.Kind.SOURCE && file.toUri().getPath().endsWith(path)) {
        return file.getCharContent(true).toString();
      }
    }
    throw new AssertionError(
        "no generated " + path + " in " + files + StandardLocation.SOURCE_OUTPUT);
  }
}
