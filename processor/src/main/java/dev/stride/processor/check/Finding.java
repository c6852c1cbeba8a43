package dev.stride.processor.check;

import dev.stride.processor.model.Site;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;

/**
 * One diagnostic and where to report it; the annotation and value are null when the element itself
 * is the most precise place.
 */
public record Finding(
    Message message,
    String text,
    Element element,
    AnnotationMirror annotation,
    AnnotationValue value) {
  /** A finding on {@code site}, with the caret on {@code attribute}'s value when it was written. */
  public static Finding at(Site site, String attribute, Message message, Object... args) {
    return new Finding(
        message,
        message.format(args),
        site.element(),
        site.annotation(),
        attribute == null ? null : site.value(attribute));
  }

  /** A finding on the element alone. */
  public static Finding on(Element element, Message message, Object... args) {
    return new Finding(message, message.format(args), element, null, null);
  }
}
