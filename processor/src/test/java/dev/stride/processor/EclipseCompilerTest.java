package dev.stride.processor;

import static com.google.common.truth.Truth.assertThat;
import static com.google.common.truth.Truth.assertWithMessage;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import org.eclipse.jdt.internal.compiler.tool.EclipseCompiler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eclipse's compiler (ecj, whose processor support the Eclipse IDE uses) runs the processor as
 * javac does: the same errors and warnings, with the same text, on the same lines.
 */
class EclipseCompilerTest {
  /** Line numbers below count from 1; each mistake sits in its own class. */
  private static final String MISTAKES =
      """
      package test;

      import dev.stride.*;

      @Network(input = {1, 28, 28})
      abstract class WindowTooLarge {
        @Conv2d(outChannels = 6, kernelSize = 5) Layer conv1;
        @MaxPool(kernelSize = 40) Layer pool1;
      }

      @Network(input = {1, 28, 28})
      abstract class WrongInFeatures {
        @Conv2d(outChannels = 6, kernelSize = 5, padding = 2) Layer conv1;
        @Flatten Layer flatten;
        @Linear(inFeatures = 4000, outFeatures = 10) Layer fc;
      }

      @Network(input = {1, 28, 28})
      abstract class NoFlatten {
        @Conv2d(outChannels = 6, kernelSize = 5) Layer conv1;
        @Linear(outFeatures = 10) Layer fc;
      }

      abstract class NotANetwork {
        @ReLU Layer relu;
      }

      @Network(input = {1, 28, 28})
      abstract class DropsARow {
        @Conv2d(outChannels = 4, kernelSize = 3, stride = 2) Layer conv1;
      }
      """;

  private static final String CORRECT =
      """
      package test;

      import dev.stride.*;

      @Network(input = {1, 28, 28})
      public abstract class Small {
        @Conv2d(outChannels = 6, kernelSize = 5, padding = 2) Layer conv1;
        @ReLU Layer relu1;
        @MaxPool(kernelSize = 2) Layer pool1;
        @Flatten Layer flatten;
        @Linear(inFeatures = 1176, outFeatures = 10) Layer fc;
      }
      """;

  /** One reported problem: kind, line, message. */
  record Reported(Diagnostic.Kind kind, long line, String message) implements Comparable<Reported> {
    @Override
    public int compareTo(Reported o) {
      return line != o.line ? Long.compare(line, o.line) : message.compareTo(o.message);
    }
  }

  @Test
  void ecjReportsWhatJavacReportsOnTheSameLines(@TempDir Path dir) throws IOException {
    Path source = write(dir, "Mistakes.java", MISTAKES);
    TreeSet<Reported> ecj = ecj(dir, source).reported;

    assertReported(ecj, Diagnostic.Kind.ERROR, 8, "pool1: output height would be 0");
    assertReported(ecj, Diagnostic.Kind.ERROR, 15, "fc: @Linear(inFeatures = 4000) but its input");
    assertReported(ecj, Diagnostic.Kind.ERROR, 21, "fc: @Linear needs a flat (F) input");
    assertReported(ecj, Diagnostic.Kind.ERROR, 25, "relu: @ReLU on a field of NotANetwork");
    assertReported(ecj, Diagnostic.Kind.WARNING, 30, "conv1: stride 2 leaves 1 input row");

    Compilation javac =
        Compiler.javac()
            .withProcessors(new StrideProcessor())
            .compile(Specs.source("Mistakes", MISTAKES));
    TreeSet<Reported> expected = new TreeSet<>();
    for (Diagnostic<? extends JavaFileObject> d : javac.diagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR || d.getKind() == Diagnostic.Kind.WARNING) {
        expected.add(new Reported(d.getKind(), d.getLineNumber(), d.getMessage(Locale.ROOT)));
      }
    }
    assertThat(expected).isNotEmpty();
    assertThat(ecj).containsExactlyElementsIn(expected).inOrder();
  }

  @Test
  void aCorrectSpecCompilesCleanlyAndGeneratesItsModel(@TempDir Path dir) throws IOException {
    Path source = write(dir, "Small.java", CORRECT);
    Result result = ecj(dir, source);
    assertThat(result.reported).isEmpty();
    assertThat(result.success).isTrue();
    assertThat(Files.exists(dir.resolve("classes/test/SmallModel.class"))).isTrue();
    assertThat(Files.readString(dir.resolve("generated/test/SmallModel.java")))
        .contains("public final class SmallModel");
  }

  private static void assertReported(
      TreeSet<Reported> reported, Diagnostic.Kind kind, long line, String start) {
    assertWithMessage("a %s on line %s starting '%s'", kind, line, start)
        .that(
            reported.stream()
                .anyMatch(r -> r.kind == kind && r.line == line && r.message.startsWith(start)))
        .isTrue();
  }

  record Result(boolean success, TreeSet<Reported> reported) {}

  /** Compiles {@code source} with ecj and the processor; problems keep the first lines' text. */
  private static Result ecj(Path dir, Path source) throws IOException {
    JavaCompiler compiler = new EclipseCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path generated = Files.createDirectories(dir.resolve("generated"));
    boolean success;
    try (StandardJavaFileManager files =
        compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(classes.toFile()));
      files.setLocation(StandardLocation.SOURCE_OUTPUT, List.of(generated.toFile()));
      List<File> classpath = new ArrayList<>();
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        classpath.add(new File(entry));
      }
      files.setLocation(StandardLocation.CLASS_PATH, classpath);
      JavaCompiler.CompilationTask task =
          compiler.getTask(
              new StringWriter(),
              files,
              diagnostics,
              List.of("-17", "-proc:full", "-encoding", "UTF-8"),
              null,
              files.getJavaFileObjects(source.toFile()));
      task.setProcessors(List.of(new StrideProcessor()));
      success = task.call();
    }
    TreeSet<Reported> reported = new TreeSet<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR || d.getKind() == Diagnostic.Kind.WARNING) {
        reported.add(new Reported(d.getKind(), d.getLineNumber(), d.getMessage(Locale.ROOT)));
      }
    }
    return new Result(success, reported);
  }

  private static Path write(Path dir, String name, String text) throws IOException {
    Path pkg = Files.createDirectories(dir.resolve("src/test"));
    return Files.writeString(pkg.resolve(name), text);
  }
}
