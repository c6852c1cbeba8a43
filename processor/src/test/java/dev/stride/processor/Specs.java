package dev.stride.processor;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;

/** Test specs and the compiler that runs the processor on them. */
final class Specs {
  private Specs() {}

  /** AlexNet as in CONTRACT.md, for a single-channel 224x224 input and 10 classes. */
  static final String ALEXNET =
      """
      package test;

      import dev.stride.*;

      @Network(input = {1, 224, 224})
      public abstract class AlexNet {
        @Conv2d(outChannels = 96, kernelSize = 11, stride = 4, padding = 1) Layer conv1;
        @ReLU Layer relu1;
        @MaxPool(kernelSize = 3, stride = 2) Layer pool1;
        @Conv2d(outChannels = 256, kernelSize = 5, padding = 2) Layer conv2;
        @ReLU Layer relu2;
        @MaxPool(kernelSize = 3, stride = 2) Layer pool2;
        @Conv2d(outChannels = 384, kernelSize = 3, padding = 1) Layer conv3;
        @ReLU Layer relu3;
        @Conv2d(outChannels = 384, kernelSize = 3, padding = 1) Layer conv4;
        @ReLU Layer relu4;
        @Conv2d(outChannels = 256, kernelSize = 3, padding = 1) Layer conv5;
        @ReLU Layer relu5;
        @MaxPool(kernelSize = 3, stride = 2) Layer pool3;
        @Flatten Layer flatten;
        @Linear(inFeatures = 6400, outFeatures = 4096) Layer fc1;
        @ReLU Layer relu6;
        @Dropout(0.5) Layer drop1;
        @Linear(outFeatures = 4096) Layer fc2;
        @ReLU Layer relu7;
        @Dropout(0.5) Layer drop2;
        @Linear(outFeatures = 10) Layer fc3;
      }
      """;

  /** A source file {@code test/<name>.java}. */
  static JavaFileObject source(String name, String text) {
    return JavaFileObjects.forSourceString("test." + name, text);
  }

  /**
   * A spec {@code test.Net} in its own file, with {@code body} as its members and {@code input} as
   * its {@code @Network(input = ...)}.
   */
  static JavaFileObject net(String input, String body) {
    return source(
        "Net",
        "package test;\n\nimport dev.stride.*;\n\n@Network(input = "
            + input
            + ")\nabstract class Net {\n"
            + body
            + "}\n");
  }

  /** Runs javac with the processor. */
  static Compilation compile(JavaFileObject... files) {
    return Compiler.javac().withProcessors(new StrideProcessor()).compile(files);
  }

  /** Runs javac with the processor and a strict user's options, as the parent POM's. */
  static Compilation compileStrict(JavaFileObject... files) {
    return Compiler.javac()
        .withProcessors(new StrideProcessor())
        .withOptions("-Xlint:all", "-Werror")
        .compile(files);
  }
}
