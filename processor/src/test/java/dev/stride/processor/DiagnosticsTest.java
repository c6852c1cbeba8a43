package dev.stride.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static dev.stride.processor.Specs.compile;
import static dev.stride.processor.Specs.net;
import static dev.stride.processor.Specs.source;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import dev.stride.processor.check.Message;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** One test per error in the catalogue: the message with its numbers, on the right line. */
class DiagnosticsTest {
  @Test
  @Covers(Message.NETWORK_NOT_A_CLASS)
  void networkOnAnInterface() {
    JavaFileObject f =
        source(
            "Net",
            """
            package test;
            import dev.stride.*;
            @Network(input = {4})
            interface Net {
              @ReLU Layer relu = null;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "Net: @Network goes on a class whose instance fields are the layers,"
                + " but Net is an interface; declare it as `abstract class Net`")
        .inFile(f)
        .onLineContaining("interface Net");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.NETWORK_WITHOUT_LAYERS)
  void networkWithoutLayers() {
    JavaFileObject f = net("{4}", "  int notALayer;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("Net: this @Network class has no layers")
        .inFile(f)
        .onLineContaining("abstract class Net");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.NETWORK_INPUT_LENGTH)
  void inputOfTwoValues() {
    JavaFileObject f = net("{3, 32}", "  @ReLU Layer relu;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "Net: @Network(input = {3, 32}) has 2 values; write {C, H, W} for images or {F}")
        .inFile(f)
        .onLineContaining("@Network(input = {3, 32})");
  }

  @Test
  @Covers(Message.NETWORK_INPUT_NOT_POSITIVE)
  void inputDimensionZero() {
    JavaFileObject f = net("{3, 0, 32}", "  @ReLU Layer relu;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "Net: @Network(input = {3, 0, 32}): every input dimension must be at least 1, but H"
                + " is 0")
        .inFile(f)
        .onLineContaining("@Network(input = {3, 0, 32})");
  }

  @Test
  @Covers(Message.LAYER_OUTSIDE_NETWORK)
  void layerOnAFieldOfAPlainClass() {
    JavaFileObject f =
        source(
            "Plain",
            """
            package test;
            import dev.stride.*;
            class Plain {
              @ReLU Layer relu;
            }
            """);
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "relu: @ReLU on a field of Plain, which is not annotated @Network, so it is no layer"
                + " of any network; annotate Plain with @Network(input = {...}) or remove @ReLU.")
        .inFile(f)
        .onLineContaining("@ReLU Layer relu;");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.LAYER_ON_STATIC_FIELD)
  void layerOnAStaticField() {
    JavaFileObject f =
        net("{4}", "  @ReLU static Layer relu;\n  @Linear(outFeatures = 2) Layer fc;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining("relu: @ReLU on a static field; layers are the instance fields")
        .inFile(f)
        .onLineContaining("static Layer relu");
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.TWO_LAYER_ANNOTATIONS)
  void twoLayerAnnotations() {
    JavaFileObject f = net("{4}", "  @ReLU @Sigmoid Layer act;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "act: a field is one layer, but this one has @ReLU and @Sigmoid; split it into one"
                + " field per layer")
        .inFile(f)
        .onLineContaining("Layer act;");
  }

  @Test
  @Covers(Message.LAYER_WITHOUT_ANNOTATION)
  void layerFieldWithoutAnnotation() {
    JavaFileObject f = net("{4}", "  @ReLU Layer relu;\n  Layer forgotten;\n");
    assertThat(compile(f))
        .hadErrorContaining("forgotten: a field of type Layer without a layer annotation")
        .inFile(f)
        .onLineContaining("Layer forgotten;");
  }

  @Test
  @Covers(Message.LAYER_FIELD_TYPE)
  void layerAnnotationOnAnotherType() {
    JavaFileObject f = net("{4}", "  @ReLU Object relu;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "relu: @ReLU on a field of type java.lang.Object; layer fields have type"
                + " dev.stride.Layer, so write `Layer relu;`.")
        .inFile(f)
        .onLineContaining("Object relu;");
  }

  @Test
  @Covers(Message.SIZE_ARRAY_LENGTH)
  void kernelOfThreeValues() {
    JavaFileObject f =
        net("{3, 32, 32}", "  @Conv2d(outChannels = 8, kernelSize = {3, 3, 3}) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(kernelSize = {3, 3, 3}) has 3 values; write one value for both"
                + " dimensions or {h, w}.")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.PADDING_ARRAY_LENGTH)
  void paddingOfThreeValues() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            "  @Conv2d(outChannels = 8, kernelSize = 3, padding = {1, 1, 1}) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(padding = {1, 1, 1}) has 3 values; write one value, {h, w} or {top,"
                + " bottom, left, right}.")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.NOT_POSITIVE)
  void zeroStrideAndChannels() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            "  @Conv2d(outChannels = 8, kernelSize = 3, stride = 0) Layer conv;\n"
                + "  @Conv2d(outChannels = 0, kernelSize = 3) Layer empty;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "conv: @Conv2d(stride = 0): the stride must be at least 1, but is 0; write a positive"
                + " value.")
        .inFile(f)
        .onLineContaining("Layer conv;");
    assertThat(c)
        .hadErrorContaining("empty: @Conv2d(outChannels = 0): outChannels must be at least 1")
        .inFile(f)
        .onLineContaining("Layer empty;");
  }

  @Test
  @Covers(Message.NEGATIVE_PADDING)
  void negativePadding() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            "  @Conv2d(outChannels = 8, kernelSize = 3, padding = -1) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(padding = -1): padding adds zeros on each side and cannot be negative")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.POOL_PADDING_OVER_HALF)
  void poolPaddingOverHalfTheKernel() {
    JavaFileObject f = net("{3, 32, 32}", "  @MaxPool(kernelSize = 3, padding = 2) Layer pool;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "pool: @MaxPool(padding = 2) pads 2 on a side of a 3-wide window, but pooling allows at"
                + " most half the kernel: 3 / 2 = 1 (as PyTorch); use padding <= 1")
        .inFile(f)
        .onLineContaining("Layer pool;");
  }

  @Test
  @Covers(Message.GROUPS_DO_NOT_DIVIDE)
  void groupsThatDoNotDivideTheInputChannels() {
    JavaFileObject f =
        net("{6, 8, 8}", "  @Conv2d(outChannels = 8, kernelSize = 1, groups = 4) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(groups = 4) must divide both channel counts, but the input channels"
                + " are 6 (6 % 4 = 2)")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.GROUPS_DO_NOT_DIVIDE)
  void groupsThatDivideNeitherChannelCountGiveOneErrorNamingBoth() {
    JavaFileObject f =
        net(
            "{384, 12, 12}",
            "  @Conv2d(outChannels = 384, kernelSize = 3, padding = 1, groups = 5) Layer conv;\n");
    Compilation c = compile(f);
    assertThat(c).hadErrorCount(1);
    assertThat(c)
        .hadErrorContaining(
            "conv: @Conv2d(groups = 5) must divide both channel counts, but the input channels"
                + " are 384 (384 % 5 = 4) and the output channels are 384 (384 % 5 = 4)")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.PROBABILITY_OUT_OF_RANGE)
  void dropoutOfOne() {
    JavaFileObject f = net("{4}", "  @Dropout(1.0) Layer drop;\n");
    assertThat(compile(f))
        .hadErrorContaining("drop: @Dropout(1.0): the drop probability must be in [0, 1)")
        .inFile(f)
        .onLineContaining("Layer drop;");
  }

  @Test
  @Covers(Message.EPS_NOT_POSITIVE)
  void batchNormEpsZero() {
    JavaFileObject f = net("{4}", "  @BatchNorm(eps = 0) Layer bn;\n");
    assertThat(compile(f))
        .hadErrorContaining("bn: @BatchNorm(eps = 0.0): eps is added to the variance")
        .inFile(f)
        .onLineContaining("Layer bn;");
  }

  @Test
  @Covers(Message.SAME_WITH_PADDING)
  void sameWithPadding() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            "  @Conv2d(outChannels = 8, kernelSize = 3, same = true, padding = 1) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(same = true, padding = 1): same computes its own padding; remove"
                + " padding or same.")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.OUTPUT_BELOW_ONE)
  void outputBelowOne() {
    JavaFileObject f = net("{256, 2, 2}", "  @MaxPool(kernelSize = 3, stride = 2) Layer pool3;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "pool3: output height would be 0: floor((2 + 0 + 0 - 1*(3-1) - 1) / 2) + 1 = 0, and"
                + " output width would be 0: floor((2 + 0 + 0 - 1*(3-1) - 1) / 2) + 1 = 0; the"
                + " input [256, 2, 2] is smaller than the 3x3 window. Use a smaller kernel or more"
                + " padding, or remove a downsampling layer earlier.")
        .inFile(f)
        .onLineContaining("Layer pool3;");
  }

  @Test
  @Covers(Message.IN_FEATURES_MISMATCH)
  void inFeaturesMismatch() {
    JavaFileObject f =
        net(
            "{256, 5, 5}",
            "  @Flatten Layer flatten;\n"
                + "  @Linear(\n"
                + "      outFeatures = 4096,\n"
                + "      inFeatures = 6000) Layer fc1;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "fc1: @Linear(inFeatures = 6000) but its input is [256, 5, 5] = 256 x 5 x 5 = 6400;"
                + " write inFeatures = 6400 or omit it to infer it.")
        .inFile(f)
        .onLineContaining("inFeatures = 6000");
    assertThat(c).hadErrorCount(1);

    JavaFileObject flat =
        net("{6400}", "  @Linear(outFeatures = 10, inFeatures = 6000) Layer fc;\n");
    assertThat(compile(flat))
        .hadErrorContaining(
            "fc: @Linear(inFeatures = 6000) but its input is [6400]; write inFeatures = 6400")
        .inFile(flat)
        .onLineContaining("Layer fc;");
  }

  @Test
  @Covers(Message.IN_CHANNELS_MISMATCH)
  void inChannelsMismatch() {
    JavaFileObject f =
        net(
            "{3, 32, 32}",
            "  @Conv2d(inChannels = 1, outChannels = 8, kernelSize = 3) Layer conv;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "conv: @Conv2d(inChannels = 1) but its input [3, 32, 32] has 3 channels; write"
                + " inChannels = 3 or omit it to infer it.")
        .inFile(f)
        .onLineContaining("Layer conv;");
  }

  @Test
  @Covers(Message.NEEDS_FLAT_INPUT)
  void linearAndSoftmaxOnAnImage() {
    JavaFileObject f =
        net("{256, 5, 5}", "  @Softmax Layer softmax;\n  @Linear(outFeatures = 10) Layer fc1;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "fc1: @Linear needs a flat (F) input, but its input is (C, H, W) [256, 5, 5] = 256 x 5"
                + " x 5 = 6400; add `@Flatten Layer flatten;` before fc1 (its input becomes"
                + " [6400]).")
        .inFile(f)
        .onLineContaining("Layer fc1;");
    assertThat(c)
        .hadErrorContaining("softmax: @Softmax needs a flat (F) input")
        .inFile(f)
        .onLineContaining("Layer softmax;");
  }

  @Test
  @Covers(Message.NEEDS_SPATIAL_INPUT)
  void convolutionOnAFlatInput() {
    JavaFileObject f =
        net(
            "{784}",
            "  @Conv2d(outChannels = 8, kernelSize = 3) Layer conv;\n  @GlobalAvgPool Layer gap;\n");
    Compilation c = compile(f);
    assertThat(c)
        .hadErrorContaining(
            "conv: @Conv2d needs a (C, H, W) input, but its input is the flat [784]")
        .inFile(f)
        .onLineContaining("Layer conv;");
    // The shape after the bad convolution is unknown: no second, derived error.
    assertThat(c).hadErrorCount(1);
  }

  @Test
  @Covers(Message.SIZE_OVERFLOW)
  void sizesThatOverflowAnInt() {
    JavaFileObject f =
        net("{1, 10000, 10000}", "  @Conv2d(outChannels = 1000, kernelSize = 1) Layer wide;\n");
    assertThat(compile(f))
        .hadErrorContaining(
            "wide: the output [1000, 10000, 10000] is too large: 1000 x 10000 x 10000 ="
                + " 100,000,000,000 floats per sample")
        .inFile(f)
        .onLineContaining("Layer wide;");

    JavaFileObject input = net("{100000, 100000, 1}", "  @ReLU Layer relu;\n");
    assertThat(compile(input))
        .hadErrorContaining("Net: the input [100000, 100000, 1] is too large")
        .inFile(input)
        .onLineContaining("@Network");
  }

  @Test
  @Covers(Message.CANNOT_WRITE)
  void twoSpecsWithTheSameModelName() {
    JavaFileObject f =
        source(
            "Outer",
            """
            package test;
            import dev.stride.*;
            class Outer {
              @Network(input = {4})
              abstract static class Inner {
                @ReLU Layer relu;
              }
            }
            @Network(input = {4})
            abstract class Outer_Inner {
              @ReLU Layer relu;
            }
            """);
    assertThat(compile(f))
        .hadErrorContaining("Outer_Inner: could not write the generated Outer_InnerModel")
        .inFile(f)
        .onLineContaining("abstract class Outer_Inner");
  }

  @Test
  @Covers(Message.INTERNAL_ERROR)
  void aBugBecomesAnErrorWithItsStackTrace() {
    JavaFileObject f = net("{4}", "  @ReLU Layer relu;\n");
    Compilation c =
        Compiler.javac()
            .withProcessors(
                new StrideProcessor(
                    model -> {
                      throw new IllegalStateException("boom");
                    }))
            .compile(f);
    assertThat(c)
        .hadErrorContaining("Net: the Stride processor failed unexpectedly; please report this")
        .inFile(f)
        .onLineContaining("abstract class Net");
    assertThat(c).hadErrorContaining("java.lang.IllegalStateException: boom");
    assertThat(c).hadErrorContaining("at dev.stride.processor.StrideProcessor");
  }
}
