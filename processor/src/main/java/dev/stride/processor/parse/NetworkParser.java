package dev.stride.processor.parse;

import dev.stride.processor.model.BlockModel;
import dev.stride.processor.model.BlockUse;
import dev.stride.processor.model.FieldModel;
import dev.stride.processor.model.LayerSpec;
import dev.stride.processor.model.NetworkModel;
import dev.stride.processor.model.Site;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.lang.model.util.Elements;

/**
 * Turns a {@code @Network} type with the {@code @Block} classes it reaches, or any layer-annotated
 * field, into model records.
 */
public final class NetworkParser {
  /** The spec annotation. */
  public static final String NETWORK = "dev.stride.Network";

  private static final String PACKAGE = "dev.stride.";
  private static final String LAYER = "dev.stride.Layer";

  /** The layer annotations by simple name. */
  private static final Set<String> LAYERS =
      Set.of(
          "Conv2d",
          "MaxPool",
          "AvgPool",
          "GlobalAvgPool",
          "BatchNorm",
          "ReLU",
          "ReLU6",
          "Sigmoid",
          "Tanh",
          "Softmax",
          "Flatten",
          "Linear",
          "Dropout",
          "Add",
          "Concat");

  /** The block annotations. */
  public static final String BLOCK = "dev.stride.Block";

  private static final String PARALLEL = "dev.stride.Parallel";
  private static final String SHORTCUT = "dev.stride.Shortcut";
  private static final String REPEAT = "dev.stride.Repeat";
  private static final String ARGS = "dev.stride.Args";

  /** The values of {@code dev.stride.Arg.A} to {@code H}. */
  private static final int ARG_A = -1_000_001;

  private static final int ARG_COUNT = 8;

  /** Layers whose shape does not depend on their attributes, so an unreadable one keeps it. */
  private static final Set<String> SHAPE_KEEPING = Set.of("BatchNorm", "Dropout");

  private final Elements elements;

  /** Parsed blocks, so that a block used by many fields and networks is read once per round. */
  private final Map<Element, BlockModel> blocks = new HashMap<>();

  /** A parser using javac's element utilities. */
  public NetworkParser(Elements elements) {
    this.elements = elements;
  }

  /** Whether {@code annotationType} is one of the layer annotations. */
  public static boolean isLayerAnnotation(TypeElement annotationType) {
    String name = annotationType.getQualifiedName().toString();
    return name.startsWith(PACKAGE) && LAYERS.contains(name.substring(PACKAGE.length()));
  }

  /**
   * The parameter a value stands for, {@code Arg.A} = 1, or 0 for an ordinary value; Arg constants
   * are the only ints in their range.
   */
  public static int argIndex(int value) {
    int index = ARG_A - value + 1;
    return index >= 1 && index <= ARG_COUNT ? index : 0;
  }

  /** The letter of {@link #argIndex} {@code i}: {@code Arg.A}. */
  public static String argName(int index) {
    return "Arg." + (char) ('A' + index - 1);
  }

  /** Whether {@code type} carries {@code @Block}. */
  public static boolean isBlock(Element type) {
    return mirror(type, BLOCK) != null;
  }

  /** Whether {@code annotationType} is {@code @Shortcut}, {@code @Repeat} or {@code @Args}. */
  public static boolean isFieldMarker(TypeElement annotationType) {
    String name = annotationType.getQualifiedName().toString();
    return name.equals(SHORTCUT) || name.equals(REPEAT) || name.equals(ARGS);
  }

  /** Reads a {@code @Block} class (once per round). */
  public BlockModel block(TypeElement type) {
    BlockModel known = blocks.get(type);
    if (known != null) {
      return known;
    }
    List<FieldModel> fields = new ArrayList<>();
    int args = 0;
    for (VariableElement field : ElementFilter.fieldsIn(type.getEnclosedElements())) {
      FieldModel f = parseField(field);
      fields.add(f);
      args = Math.max(args, f.args());
    }
    BlockModel block =
        new BlockModel(
            site(type, mirror(type, BLOCK)),
            qualifiedInPackage(type),
            mirror(type, PARALLEL) != null,
            isNetwork(type),
            fields,
            args);
    blocks.put(type, block);
    return block;
  }

  /** The blocks reachable from {@code fields}, in a map by class, each read once. */
  private Map<Element, BlockModel> reachable(List<FieldModel> fields) {
    Map<Element, BlockModel> found = new HashMap<>();
    List<List<FieldModel>> pending = new ArrayList<>();
    pending.add(fields);
    while (!pending.isEmpty()) {
      for (FieldModel f : pending.remove(pending.size() - 1)) {
        if (f.use() == null) {
          continue;
        }
        for (Element e : new Element[] {f.use().block(), f.use().first()}) {
          if (e instanceof TypeElement t && isBlock(t) && !found.containsKey(t)) {
            BlockModel b = block(t);
            found.put(t, b);
            pending.add(b.fields());
          }
        }
      }
    }
    return found;
  }

  private static String qualifiedInPackage(TypeElement type) {
    List<String> names = new ArrayList<>();
    for (Element e = type; e instanceof TypeElement; e = e.getEnclosingElement()) {
      names.add(0, e.getSimpleName().toString());
    }
    return String.join(".", names);
  }

  /** Whether {@code type} carries {@code @Network}. */
  public static boolean isNetwork(Element type) {
    return mirror(type, NETWORK) != null;
  }

  /** Reads a {@code @Network} type with all its fields. */
  public NetworkModel parse(TypeElement spec) {
    AnnotationMirror network = mirror(spec, NETWORK);
    List<String> names = new ArrayList<>();
    for (Element e = spec; e instanceof TypeElement; e = e.getEnclosingElement()) {
      names.add(0, e.getSimpleName().toString());
    }
    List<FieldModel> fields = new ArrayList<>();
    for (VariableElement field : ElementFilter.fieldsIn(spec.getEnclosedElements())) {
      fields.add(parseField(field));
    }
    List<Integer> input = null;
    if (network != null) {
      Values values = new Values(network);
      input = values.ints("input");
      if (values.broken) {
        input = null;
      }
    }
    return new NetworkModel(
        site(spec, network),
        elements.getPackageOf(spec).getQualifiedName().toString(),
        names,
        spec.getModifiers().contains(Modifier.PUBLIC),
        kind(spec.getKind()),
        input,
        fields,
        reachable(fields));
  }

  /** Reads one field: its form, its layer annotations, and the layer if it has exactly one. */
  public FieldModel parseField(VariableElement field) {
    List<AnnotationMirror> layers = new ArrayList<>();
    List<String> annotationNames = new ArrayList<>();
    for (AnnotationMirror m : field.getAnnotationMirrors()) {
      String simple = layerName(m);
      if (simple != null) {
        layers.add(m);
        annotationNames.add(simple);
      }
    }
    String name = field.getSimpleName().toString();
    AnnotationMirror first = layers.isEmpty() ? null : layers.get(0);
    TypeMirror type = field.asType();
    boolean resolved = type.getKind() != TypeKind.ERROR;
    boolean isLayer =
        type.getKind() == TypeKind.DECLARED
            && ((TypeElement) ((DeclaredType) type).asElement())
                .getQualifiedName()
                .contentEquals(LAYER);
    AnnotationMirror shortcut = mirror(field, SHORTCUT);
    return new FieldModel(
        name,
        site(field, first),
        field.getModifiers().contains(Modifier.STATIC),
        resolved ? type.toString() : null,
        isLayer,
        annotationNames,
        layers.size() == 1 ? layer(name, field, first, annotationNames.get(0)) : null,
        suppressesStride(field),
        shortcut == null ? null : site(field, shortcut),
        use(field, type),
        argsUsed(field));
  }

  /** The field's block use, or null when it neither has a block type nor @Repeat or @Args. */
  private BlockUse use(VariableElement field, TypeMirror type) {
    Element block =
        type.getKind() == TypeKind.DECLARED
                && ((DeclaredType) type).asElement() instanceof TypeElement t
                && isBlock(t)
            ? t
            : null;
    AnnotationMirror repeat = mirror(field, REPEAT);
    AnnotationMirror args = mirror(field, ARGS);
    if (block == null && repeat == null && args == null) {
      return null;
    }
    int copies = 1;
    Element first = null;
    String firstName = null;
    boolean firstIsBlock = false;
    if (repeat != null) {
      Values v = new Values(repeat);
      copies = v.integer("value");
      if (v.values.get("first") instanceof DeclaredType d
          && d.asElement() instanceof TypeElement t
          && !t.getQualifiedName().contentEquals("java.lang.Void")) {
        first = t;
        firstName = t.getSimpleName().toString();
        firstIsBlock = isBlock(t);
      }
      if (v.broken) {
        // javac reports the unreadable value itself; one copy keeps the shapes going.
        copies = 1;
      }
    }
    List<Integer> values = List.of();
    if (args != null) {
      Values v = new Values(args);
      values = v.ints("value");
    }
    return new BlockUse(
        block,
        repeat == null ? null : site(field, repeat),
        copies,
        first,
        firstName,
        firstIsBlock,
        args == null ? null : site(field, args),
        values);
  }

  /** The highest Arg parameter any int of the field's Stride annotations uses; 0 for none. */
  private int argsUsed(VariableElement field) {
    int max = 0;
    for (AnnotationMirror m : field.getAnnotationMirrors()) {
      Element type = m.getAnnotationType().asElement();
      if (!(type instanceof TypeElement t)
          || !t.getQualifiedName().toString().startsWith(PACKAGE)) {
        continue;
      }
      for (AnnotationValue value : m.getElementValues().values()) {
        Object v = value == null ? null : value.getValue();
        if (v instanceof Integer i) {
          max = Math.max(max, argIndex(i));
        } else if (v instanceof List<?> list) {
          for (Object item : list) {
            if (item instanceof AnnotationValue av && av.getValue() instanceof Integer i) {
              max = Math.max(max, argIndex(i));
            }
          }
        }
      }
    }
    return max;
  }

  private LayerSpec layer(String name, Element field, AnnotationMirror m, String kind) {
    Site site = site(field, m);
    Values v = new Values(m);
    LayerSpec spec =
        switch (kind) {
          case "Conv2d" ->
              new LayerSpec.Conv2d(
                  name,
                  site,
                  v.integer("outChannels"),
                  v.ints("kernelSize"),
                  v.ints("stride"),
                  v.ints("padding"),
                  v.bool("same"),
                  v.ints("dilation"),
                  v.integer("groups"),
                  v.bool("bias"),
                  v.integer("inChannels"));
          case "MaxPool" ->
              new LayerSpec.MaxPool(
                  name,
                  site,
                  v.ints("kernelSize"),
                  v.ints("stride"),
                  v.ints("padding"),
                  v.bool("ceilMode"));
          case "AvgPool" ->
              new LayerSpec.AvgPool(
                  name,
                  site,
                  v.ints("kernelSize"),
                  v.ints("stride"),
                  v.ints("padding"),
                  v.bool("ceilMode"),
                  v.bool("countIncludePad"));
          case "GlobalAvgPool" -> new LayerSpec.GlobalAvgPool(name, site);
          case "BatchNorm" -> new LayerSpec.BatchNorm(name, site, v.decimal("eps"));
          case "ReLU" -> new LayerSpec.ReLU(name, site);
          case "ReLU6" -> new LayerSpec.ReLU6(name, site);
          case "Add" -> new LayerSpec.Add(name, site);
          case "Concat" -> new LayerSpec.Concat(name, site);
          case "Sigmoid" -> new LayerSpec.Sigmoid(name, site);
          case "Tanh" -> new LayerSpec.Tanh(name, site);
          case "Softmax" -> new LayerSpec.Softmax(name, site);
          case "Flatten" -> new LayerSpec.Flatten(name, site);
          case "Linear" ->
              new LayerSpec.Linear(
                  name, site, v.integer("outFeatures"), v.integer("inFeatures"), v.bool("bias"));
          case "Dropout" -> new LayerSpec.Dropout(name, site, v.decimal("value"));
          default -> throw new AssertionError("not a layer annotation: " + kind);
        };
    return v.broken
        ? new LayerSpec.Unreadable(name, site, kind, SHAPE_KEEPING.contains(kind))
        : spec;
  }

  /** The layer annotation's simple name, or null if {@code m} is not a layer annotation. */
  private static String layerName(AnnotationMirror m) {
    Element type = m.getAnnotationType().asElement();
    return type instanceof TypeElement t && isLayerAnnotation(t)
        ? t.getSimpleName().toString()
        : null;
  }

  /** {@code e}'s annotation of this type, or null. */
  public static AnnotationMirror mirror(Element e, String qualifiedName) {
    for (AnnotationMirror m : e.getAnnotationMirrors()) {
      Element type = m.getAnnotationType().asElement();
      if (type instanceof TypeElement t && t.getQualifiedName().contentEquals(qualifiedName)) {
        return m;
      }
    }
    return null;
  }

  private static Site site(Element e, AnnotationMirror m) {
    Map<String, AnnotationValue> written = new HashMap<>();
    if (m != null) {
      for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry :
          m.getElementValues().entrySet()) {
        if (entry.getValue() != null) {
          written.put(entry.getKey().getSimpleName().toString(), entry.getValue());
        }
      }
    }
    return new Site(e, m, written);
  }

  /** Whether {@code @SuppressWarnings("stride")} is on the field or any enclosing element. */
  private static boolean suppressesStride(Element field) {
    for (Element e = field; e != null; e = e.getEnclosingElement()) {
      SuppressWarnings suppress = e.getAnnotation(SuppressWarnings.class);
      if (suppress != null && List.of(suppress.value()).contains("stride")) {
        return true;
      }
      if (e.getKind() == ElementKind.PACKAGE) {
        break;
      }
    }
    return false;
  }

  private static String kind(ElementKind kind) {
    return switch (kind.name()) {
      case "CLASS" -> "a class";
      case "INTERFACE" -> "an interface";
      case "ENUM" -> "an enum";
      case "RECORD" -> "a record";
      case "ANNOTATION_TYPE" -> "an annotation type";
      default -> "a " + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    };
  }

  /**
   * An annotation's values with defaults; a value javac could not evaluate (its own error) marks
   * the whole annotation broken instead of throwing.
   */
  private final class Values {
    private final Map<String, Object> values = new HashMap<>();
    boolean broken;

    Values(AnnotationMirror m) {
      for (Map.Entry<? extends ExecutableElement, ? extends AnnotationValue> entry :
          elements.getElementValuesWithDefaults(m).entrySet()) {
        AnnotationValue value = entry.getValue();
        values.put(
            entry.getKey().getSimpleName().toString(), value == null ? null : value.getValue());
      }
    }

    int integer(String name) {
      if (values.get(name) instanceof Integer i) {
        return i;
      }
      broken = true;
      return 0;
    }

    boolean bool(String name) {
      if (values.get(name) instanceof Boolean b) {
        return b;
      }
      broken = true;
      return false;
    }

    double decimal(String name) {
      if (values.get(name) instanceof Number n) {
        return n.doubleValue();
      }
      broken = true;
      return 0;
    }

    List<Integer> ints(String name) {
      List<Integer> ints = new ArrayList<>();
      if (values.get(name) instanceof List<?> list) {
        for (Object item : list) {
          if (item instanceof AnnotationValue av && av.getValue() instanceof Integer i) {
            ints.add(i);
          } else {
            broken = true;
          }
        }
      } else {
        broken = true;
      }
      return ints;
    }
  }
}
