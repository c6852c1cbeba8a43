package dev.stride.processor.model;

import java.util.List;

/**
 * One field of a spec or block class (or a layer-annotated field of any class), with what the
 * checker needs to tell whether it is a well-formed layer or sub-block.
 *
 * @param name the field name
 * @param site the field, with its first layer annotation if any
 * @param isStatic whether the field is static
 * @param type the field's type as written; {@code null} when javac could not resolve it
 * @param isLayerType whether the type is {@code dev.stride.Layer}
 * @param annotations the simple names of its layer annotations, in source order
 * @param layer the parsed layer when it has exactly one layer annotation, else null
 * @param strideWarningsSuppressed whether {@code @SuppressWarnings("stride")} covers the field
 * @param shortcut the field with its {@code @Shortcut}, or null
 * @param use how the field uses a block ({@code @Repeat}, {@code @Args}, its block type), or null
 *     for a plain layer field
 * @param args how many {@code Arg} parameters the field's annotations use: the highest letter,
 *     {@code A} = 1; 0 for none
 */
public record FieldModel(
    String name,
    Site site,
    boolean isStatic,
    String type,
    boolean isLayerType,
    List<String> annotations,
    LayerSpec layer,
    boolean strideWarningsSuppressed,
    Site shortcut,
    BlockUse use,
    int args) {
  /** Copies the list. */
  public FieldModel {
    annotations = List.copyOf(annotations);
  }

  /** Whether the field is a sub-block (its type is a {@code @Block} class). */
  public boolean isBlock() {
    return use != null && use.block() != null;
  }
}
