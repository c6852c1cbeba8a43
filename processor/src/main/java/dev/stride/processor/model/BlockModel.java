package dev.stride.processor.model;

import java.util.List;

/**
 * A parsed {@code @Block} class.
 *
 * @param site the class with its {@code @Block} annotation
 * @param name the class's name as written in its package, e.g. {@code ResNet.Basic}
 * @param parallel whether it is also {@code @Parallel}
 * @param alsoNetwork whether it is also {@code @Network} (an error)
 * @param fields every field, layer or not
 * @param args how many Arg parameters it takes: the highest letter used by any field
 */
public record BlockModel(
    Site site,
    String name,
    boolean parallel,
    boolean alsoNetwork,
    List<FieldModel> fields,
    int args) {
  /** Copies the list. */
  public BlockModel {
    fields = List.copyOf(fields);
  }
}
