package dev.stride.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import dev.stride.processor.check.Message;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** One test per block diagnostic: the message with its numbers, on the line the contract names. */
class BlockDiagnosticsTest {
  /** {@code test.Net} with a network body and, after it, more top-level classes (the blocks). */
  static JavaFileObject spec(String input, String body, String blocks) {
    return source(
        "Net",
        "package test;\n\nimport dev.stride.*;\n\n@Network(input = "
            + input
            + ")\nabstract class Net {\n"
            + body
            + "}\n\n"
            + blocks);
  }

  static final String BASIC =
      """
      @Block abstract class Basic {
        @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false) Layer conv1;
        @BatchNorm Layer bn1;
        @ReLU Layer relu1;
        @Conv2d(outChannels = Arg.A, kernelSize = 3, padding = 1, bias = false) Layer conv2;
        @BatchNorm Layer bn2;
        @Add Layer add;
        @ReLU Layer relu2;
      }
      """;

  @Test
  @Covers(Message.MERGE_OUTSIDE_BLOCK)
  void addInANetwork() {
    JavaFileObject f = spec("{4}", "  @ReLU Layer relu;\n  @Add Layer add;\n", "");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "add: @Add belongs to a block's main chain and shortcut, but Net is not a @Block")
        .inFile(f)
        .onLineContaining("Layer add;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.MERGE_OUTSIDE_BLOCK)
  void shortcutInAPlainClass() {
    JavaFileObject f =
        source(
            "Plain",
            """
            package test;
            import dev.stride.*;
            class Plain {
              @Shortcut Layer side;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "side: @Shortcut belongs to a block's main chain and shortcut, but Plain")
        .inFile(f)
        .onLineContaining("Layer side;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.SECOND_SHORTCUT)
  void twoShortcuts() {
    JavaFileObject f =
        spec(
            "{8, 4, 4}",
            "  @Args(8) Two two;\n",
            """
            @Block abstract class Two {
              @Shortcut @Conv2d(outChannels = Arg.A, kernelSize = 1) Layer a;
              @Shortcut @Conv2d(outChannels = Arg.A, kernelSize = 1) Layer b;
              @Add Layer add;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("b: a block has at most one @Shortcut field, and a already is one")
        .inFile(f)
        .onLineContaining("Layer b;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.MERGE_IN_PARALLEL)
  void mergeInAParallelBlock() {
    JavaFileObject f =
        spec(
            "{8, 4, 4}",
            "  Branches b;\n",
            """
            @Block @Parallel abstract class Branches {
              @Conv2d(outChannels = 4, kernelSize = 1) Layer p1;
              @Concat Layer cat;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "cat: @Concat inside the @Parallel block Branches, whose fields are all branches")
        .inFile(f)
        .onLineContaining("Layer cat;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.ARG_IN_NETWORK)
  void argInANetwork() {
    JavaFileObject f =
        spec("{3, 8, 8}", "  @Conv2d(outChannels = Arg.B, kernelSize = 3) Layer conv;\n", "");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("conv: Arg.B in the @Network Net, which has no parameters")
        .inFile(f)
        .onLineContaining("Layer conv;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.BLOCK_RECURSION)
  void blockThatContainsItselfThroughAnother() {
    JavaFileObject f =
        spec(
            "{4}",
            "  Outer outer;\n",
            """
            @Block abstract class Outer {
              @ReLU Layer relu;
              Inner inner;
            }
            @Block abstract class Inner {
              @Repeat(value = 2, first = Outer.class) Inner again;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "inner: the block Outer contains itself (Outer.inner -> Inner -> Outer)")
        .inFile(f)
        .onLineContaining("Inner inner;");
    assertThat(c)
        .hadErrorContaining("again: the block Inner contains itself (Inner.again -> Inner)")
        .inFile(f)
        .onLineContaining("Inner again;");
    assertThat(c).hadErrorCount(2);
  }

  @Test
  @Covers(Message.NOT_A_BLOCK)
  void repeatOnALayer() {
    JavaFileObject f = spec("{4}", "  @Repeat(2) @ReLU Layer relu;\n", "");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "relu: @Repeat goes on a sub-block field, whose type is a @Block class, but this"
                + " field's type is dev.stride.Layer")
        .inFile(f)
        .onLineContaining("Layer relu;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.FIRST_NOT_A_BLOCK)
  void firstThatIsNotABlock() {
    JavaFileObject f =
        spec(
            "{4}",
            "  @Repeat(value = 2, first = String.class) Act act;\n",
            "@Block abstract class Act {\n  @ReLU Layer relu;\n}\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("act: @Repeat(first = String.class), but String is not a @Block class")
        .inFile(f)
        .onLineContaining("Act act;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.REPEAT_BELOW_ONE)
  void repeatZeroTimes() {
    JavaFileObject f =
        spec(
            "{4}",
            "  @Repeat(0) Act act;\n", "@Block abstract class Act {\n  @ReLU Layer relu;\n}\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("act: @Repeat(0) repeats the block 0 times; write 1 or more")
        .inFile(f)
        .onLineContaining("@Repeat(0)");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.ARGS_COUNT)
  void tooFewAndTooManyArgs() {
    JavaFileObject f =
        spec("{3, 8, 8}", "  Basic missing;\n  @Args({16, 2}) Basic extra;\n", BASIC);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "missing: Basic takes 1 value (Arg.A), but the field has no @Args; write @Args with"
                + " exactly 1 value")
        .inFile(f)
        .onLineContaining("Basic missing;");
    assertThat(c)
        .hadErrorContaining("extra: Basic takes 1 value (Arg.A), but @Args gives 2 ({16, 2})")
        .inFile(f)
        .onLineContaining("Basic extra;");
    assertThat(c).hadErrorCount(2);
  }

  @Test
  @Covers(Message.BLOCK_AND_NETWORK)
  void blockAndNetwork() {
    JavaFileObject f =
        source(
            "Both",
            """
            package test;
            import dev.stride.*;
            @Block
            @Network(input = {4})
            abstract class Both {
              @ReLU Layer relu;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("Both: a class is either a @Network")
        .inFile(f)
        .onLineContaining("abstract class Both");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.ADD_SHAPE_MISMATCH)
  void addOfDifferentShapesOnTheNetworkField() {
    JavaFileObject f =
        spec(
            "{64, 56, 56}",
            "  @Args(64) Basic layer1;\n  @Repeat(2) @Args(128) Down layer2;\n",
            BASIC
                + """
                @Block abstract class Down {
                  @Conv2d(outChannels = Arg.A, kernelSize = 3, stride = 2, padding = 1) Layer conv1;
                  @BatchNorm Layer bn2;
                  @Add Layer add;
                }
                """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "layer2 (input [64, 56, 56]): layer2.0.add: @Add needs equal shapes, but the main"
                + " chain gives [128, 28, 28] (from layer2.0.bn2) and the shortcut gives"
                + " [64, 56, 56] (from layer1.relu2); add a @Shortcut 1x1 convolution to"
                + " [128, 28, 28], e.g. `@Shortcut @Conv2d(outChannels = 128, kernelSize = 1,"
                + " stride = 2, bias = false) Layer downsample;`")
        .inFile(f)
        .onLineContaining("Down layer2;");
    // The first copy's output is unknown, so the second copy is not judged: no follow-on error.
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.CONCAT_SIZE_MISMATCH)
  void concatOfDifferentSizes() {
    JavaFileObject f =
        spec(
            "{3, 9, 9}",
            "  Dense dense;\n",
            """
            @Block abstract class Dense {
              @Conv2d(outChannels = 4, kernelSize = 3) Layer conv;
              @Concat Layer cat;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "dense (input [3, 9, 9]): dense.cat: @Concat joins along channels, so H x W must be"
                + " equal, but the shortcut gives [3, 9, 9] (from the network input) and the main"
                + " chain gives [4, 7, 7] (from dense.conv)")
        .inFile(f)
        .onLineContaining("Dense dense;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.PARALLEL_SIZE_MISMATCH)
  void parallelBranchesOfDifferentSizes() {
    JavaFileObject f =
        spec(
            "{3, 9, 9}",
            "  @ReLU Layer relu;\n  Inception b3a;\n",
            """
            @Block @Parallel abstract class Inception {
              @Conv2d(outChannels = 4, kernelSize = 1) Layer p1;
              @Conv2d(outChannels = 8, kernelSize = 3) Layer p2;
              @MaxPool(kernelSize = 3, stride = 1, padding = 1) Layer p3;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "b3a (input [3, 9, 9]): b3a: the @Parallel branches are concatenated along channels,"
                + " so H x W must be equal, but b3a.p1 gives [4, 9, 9], b3a.p2 gives [8, 7, 7],"
                + " b3a.p3 gives [3, 9, 9]")
        .inFile(f)
        .onLineContaining("Inception b3a;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers({Message.OUTPUT_BELOW_ONE, Message.IN_FEATURES_MISMATCH})
  void inputDependentMistakesGoToEachNetworkField() {
    JavaFileObject f =
        spec(
            "{3, 8, 8}",
            "  @Args(16) Shrink first;\n  @Args(16) Shrink second;\n",
            """
            @Block abstract class Shrink {
              @Conv2d(outChannels = Arg.A, kernelSize = 5) Layer conv;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "second (input [16, 4, 4]): second.conv: output height would be 0: floor((4 + 0 + 0"
                + " - 1*(5-1) - 1) / 1) + 1 = 0")
        .inFile(f)
        .onLineContaining("Shrink second;");
    assertThat(c).hadErrorCount(1);

    JavaFileObject g =
        spec(
            "{3, 4, 4}",
            "  @Args(2) Head a;\n  @Args(5) Head b;\n",
            """
            @Block abstract class Head {
              @Flatten Layer flatten;
              @Linear(inFeatures = 48, outFeatures = Arg.A) Layer fc;
            }
            """);
    Compilation d = compile(g);
    // a's input gives 48 features; b's input is a's [2] output: one error, on b.
    assertThat(d)
        .hadErrorContaining("b (input [2]): b.fc: @Linear(inFeatures = 48) but its input is [2]")
        .inFile(g)
        .onLineContaining("Head b;");
    assertThat(d).hadErrorCount(1);
  }

  @Test
  void aLiteralMistakeInABlockIsReportedOnceOnItsField() {
    JavaFileObject f =
        spec(
            "{3, 8, 8}",
            "  Bad one;\n  @Repeat(3) Bad more;\n",
            """
            @Block abstract class Bad {
              @Conv2d(outChannels = 4, kernelSize = 0) Layer conv;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("conv: @Conv2d(kernelSize = 0): the kernel size must be at least 1")
        .inFile(f)
        .onLineContaining("Layer conv;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  void nestedBlocksAndAStrideWarningOnTheNetworkField() {
    JavaFileObject f =
        source(
            "Net",
            """
            package test;
            import dev.stride.*;
            @Network(input = {3, 11, 11})
            abstract class Net {
              Outer.Down down;
              @SuppressWarnings("stride") Outer.Down quiet;

              abstract static class Outer {
                @Block abstract static class Down {
                  @Conv2d(outChannels = 4, kernelSize = 2, stride = 2) Layer conv;
                }
              }
            }
            """);
    Compilation c = compile(f);
    assertThat(c).succeeded();
    // 11 rows at kernel 2, stride 2 leave one; so do the second use's 5, but it is suppressed.
    assertThat(c)
        .hadWarningContaining(
            "down (input [3, 11, 11]): down.conv: stride 2 leaves 1 input row and 1 input column unused")
        .inFile(f)
        .onLineContaining("Outer.Down down;");
    assertThat(c).hadWarningCount(1);
  }
}
