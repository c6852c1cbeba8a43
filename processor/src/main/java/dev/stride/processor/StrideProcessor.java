package dev.stride.processor;

import com.google.auto.service.AutoService;
import dev.stride.processor.check.Finding;
import dev.stride.processor.check.Message;
import dev.stride.processor.check.NetworkChecker;
import dev.stride.processor.check.Report;
import dev.stride.processor.generate.ModelGenerator;
import dev.stride.processor.model.NetworkModel;
import dev.stride.processor.parse.NetworkParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Messager;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;

/**
 * Checks every {@code @Network} spec's shapes at compile time and generates its {@code
 * <Spec>Model}; all mistakes of a spec are reported in one compilation, never as a javac crash.
 */
@AutoService(Processor.class)
public final class StrideProcessor extends AbstractProcessor {
  private static final String GENERATED = "javax.annotation.processing.Generated";

  private final Function<NetworkModel, Report> checker;

  /** What this round has printed: the element and the text. */
  private final Set<List<Object>> printed = new HashSet<>();

  /** The processor as javac loads it. */
  public StrideProcessor() {
    this(NetworkChecker::check);
  }

  /** A processor with another check stage, so tests can make a stage fail. */
  StrideProcessor(Function<NetworkModel, Report> checker) {
    this.checker = checker;
  }

  @Override
  public Set<String> getSupportedAnnotationTypes() {
    // Every layer and block annotation too, so that one on a field of a class without @Network is
    // seen; and @Generated, which the generated classes carry, so that it can be claimed.
    return Set.of("dev.stride.*", GENERATED);
  }

  @Override
  public SourceVersion getSupportedSourceVersion() {
    return SourceVersion.latestSupported();
  }

  @Override
  public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    NetworkParser parser = new NetworkParser(processingEnv.getElementUtils());
    printed.clear();
    for (TypeElement annotation : annotations) {
      if (annotation.getQualifiedName().contentEquals(NetworkParser.NETWORK)) {
        for (Element spec : round.getElementsAnnotatedWith(annotation)) {
          if (spec instanceof TypeElement type && !NetworkParser.isBlock(type)) {
            network(parser, type);
          }
        }
      } else if (annotation.getQualifiedName().contentEquals(NetworkParser.BLOCK)) {
        for (Element block : round.getElementsAnnotatedWith(annotation)) {
          if (block instanceof TypeElement type) {
            block(parser, type);
          }
        }
      } else if (annotation.getSimpleName().contentEquals("Shortcut")
          && NetworkParser.isFieldMarker(annotation)) {
        for (Element field : round.getElementsAnnotatedWith(annotation)) {
          shortcutOutsideBlock(field);
        }
      } else if (NetworkParser.isLayerAnnotation(annotation)) {
        for (Element field : round.getElementsAnnotatedWith(annotation)) {
          orphan(parser, annotation, field);
        }
      }
    }
    return claims(annotations, round);
  }

  /**
   * Whether to claim this round's annotations: javac's -Xlint:processing warns about unclaimed
   * ones, which fails a strict user's -Werror build. Stride's own are always claimed; @Generated is
   * left to others in a round where only someone else's generated code carries it.
   */
  private static boolean claims(Set<? extends TypeElement> annotations, RoundEnvironment round) {
    boolean foreignGenerated = false;
    for (TypeElement annotation : annotations) {
      if (!annotation.getQualifiedName().contentEquals(GENERATED)) {
        return true;
      }
      for (Element e : round.getElementsAnnotatedWith(annotation)) {
        foreignGenerated |= !isStrides(e);
      }
    }
    return !foreignGenerated;
  }

  /** Whether {@code e} carries {@code @Generated("dev.stride.processor.StrideProcessor")}. */
  private static boolean isStrides(Element e) {
    for (AnnotationMirror m : e.getAnnotationMirrors()) {
      if (((TypeElement) m.getAnnotationType().asElement())
          .getQualifiedName()
          .contentEquals(GENERATED)) {
        for (var v : m.getElementValues().entrySet()) {
          if (v.getKey().getSimpleName().contentEquals("value")
              && v.getValue().toString().contains(StrideProcessor.class.getName())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Parse, check, report, and generate only when clean; a bug becomes an error on the spec. */
  private void network(NetworkParser parser, TypeElement spec) {
    try {
      NetworkModel model = parser.parse(spec);
      Report report = checker.apply(model);
      print(report);
      if (report.hasErrors() || report.plan() == null) {
        return;
      }
      try {
        ModelGenerator.generate(report.plan()).writeTo(processingEnv.getFiler());
      } catch (IOException e) {
        print(
            Finding.on(
                spec,
                Message.CANNOT_WRITE,
                model.name(),
                ModelGenerator.modelName(model),
                e.getMessage()));
      }
    } catch (RuntimeException | AssertionError | StackOverflowError e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      print(Finding.on(spec, Message.INTERNAL_ERROR, spec.getSimpleName(), trace));
    }
  }

  /** The use-independent checks of a {@code @Block} class; a bug becomes an error on it. */
  private void block(NetworkParser parser, TypeElement type) {
    try {
      print(NetworkChecker.checkBlock(parser.block(type), e -> parser.block((TypeElement) e)));
    } catch (RuntimeException | AssertionError | StackOverflowError e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      print(Finding.on(type, Message.INTERNAL_ERROR, type.getSimpleName(), trace));
    }
  }

  /** Reports {@code @Shortcut} on a field of a class without {@code @Block}. */
  private void shortcutOutsideBlock(Element field) {
    Element owner = field.getEnclosingElement();
    if (field.getKind() != ElementKind.FIELD || owner == null || NetworkParser.isBlock(owner)) {
      return;
    }
    print(
        Finding.on(
            field,
            Message.MERGE_OUTSIDE_BLOCK,
            field.getSimpleName(),
            "Shortcut",
            owner.getSimpleName()));
  }

  /**
   * Reports a layer annotation on a field whose class lacks {@code @Network}; fields of specs are
   * checked with their spec. Each field is reported once, for its first layer annotation.
   */
  private void orphan(NetworkParser parser, TypeElement annotation, Element field) {
    Element owner = field.getEnclosingElement();
    if (field.getKind() != ElementKind.FIELD
        || owner == null
        || NetworkParser.isNetwork(owner)
        || NetworkParser.isBlock(owner)) {
      return;
    }
    try {
      var model = parser.parseField((VariableElement) field);
      if (!model.annotations().get(0).contentEquals(annotation.getSimpleName())) {
        return;
      }
      String kind = annotation.getSimpleName().toString();
      if (kind.equals("Add") || kind.equals("Concat")) {
        print(
            Finding.at(
                model.site(),
                null,
                Message.MERGE_OUTSIDE_BLOCK,
                field.getSimpleName(),
                kind,
                owner.getSimpleName()));
        return;
      }
      print(NetworkChecker.checkOrphan(model, owner.getSimpleName().toString()));
    } catch (RuntimeException | AssertionError | StackOverflowError e) {
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      print(Finding.on(field, Message.INTERNAL_ERROR, field.getSimpleName(), trace));
    }
  }

  private void print(Report report) {
    for (Finding finding : report.findings()) {
      print(finding);
    }
  }

  private void print(Finding f) {
    // A block used by many fields and networks meets its own mistakes once per use.
    if (!printed.add(List.of(f.element(), f.text()))) {
      return;
    }
    Messager messager = processingEnv.getMessager();
    var kind = f.message().kind();
    if (f.annotation() == null) {
      messager.printMessage(kind, f.text(), f.element());
    } else if (f.value() == null) {
      messager.printMessage(kind, f.text(), f.element(), f.annotation());
    } else {
      messager.printMessage(kind, f.text(), f.element(), f.annotation(), f.value());
    }
  }
}
