package dev.stride.processor.model;

import java.util.List;
import javax.lang.model.element.Element;

/**
 * A field whose type is a {@code @Block} class, or one that carries {@code @Repeat} or
 * {@code @Args}, with the values as written (Arg constants not yet substituted).
 *
 * @param block the field type's class when it is a {@code @Block}, else null
 * @param repeat the field with its {@code @Repeat}, or null
 * @param copies {@code @Repeat}'s value, 1 without one; may be an Arg constant
 * @param first {@code @Repeat(first = X.class)}'s class, or null for the default
 * @param firstName the simple name of {@code first}, for messages
 * @param firstIsBlock whether {@code first} is a {@code @Block} class
 * @param argsSite the field with its {@code @Args}, or null
 * @param args {@code @Args}'s values as written, empty without one
 */
public record BlockUse(
    Element block,
    Site repeat,
    int copies,
    Element first,
    String firstName,
    boolean firstIsBlock,
    Site argsSite,
    List<Integer> args) {
  /** Copies the list. */
  public BlockUse {
    args = List.copyOf(args);
  }
}
