package dev.stride.processor.model;

import java.util.List;
import java.util.Map;
import javax.lang.model.element.Element;

/**
 * A parsed {@code @Network} spec: its names, its declared input and its fields in declaration
 * order.
 *
 * @param site the spec type with its {@code @Network} annotation
 * @param packageName the spec's package, empty for the unnamed package
 * @param simpleNames the spec's simple name preceded by those of its enclosing types
 * @param isPublic whether the spec (and so its model) is public
 * @param kind "a class", or what else the annotated type is ("an interface", "an enum", ...)
 * @param input the declared input shape as written; null when javac could not give it
 * @param fields every field, layer or not
 * @param blocks every {@code @Block} class reachable from the fields, by class
 */
public record NetworkModel(
    Site site,
    String packageName,
    List<String> simpleNames,
    boolean isPublic,
    String kind,
    List<Integer> input,
    List<FieldModel> fields,
    Map<Element, BlockModel> blocks) {
  /** Copies the lists. */
  public NetworkModel {
    simpleNames = List.copyOf(simpleNames);
    input = input == null ? null : List.copyOf(input);
    fields = List.copyOf(fields);
    blocks = Map.copyOf(blocks);
  }

  /** The spec's name as written in its package, e.g. {@code Outer.Inner}. */
  public String name() {
    return String.join(".", simpleNames);
  }

  /** Whether the annotated type is a class (abstract or not). */
  public boolean isClass() {
    return kind.equals("a class");
  }
}
