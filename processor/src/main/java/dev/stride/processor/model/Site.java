package dev.stride.processor.model;

import java.util.Map;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;

/**
 * Where something was written: the element, its annotation and the attribute values written
 * explicitly, so that a diagnostic can put javac's caret on the attribute's value.
 *
 * @param element the field or class
 * @param annotation the layer or {@code @Network} annotation; null for a field without one
 * @param values the explicitly written attribute values by name (defaults have no source position)
 */
public record Site(
    Element element, AnnotationMirror annotation, Map<String, AnnotationValue> values) {
  /** Copies the values. */
  public Site {
    values = Map.copyOf(values);
  }

  /** The written value of {@code attribute}, or null when it was left at its default. */
  public AnnotationValue value(String attribute) {
    return values.get(attribute);
  }
}
