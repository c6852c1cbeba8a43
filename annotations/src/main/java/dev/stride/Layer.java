package dev.stride;

/**
 * The type of every layer field of a {@link Network} spec; the field's annotation says which layer
 * it is.
 *
 * <p>Fields of this type are never assigned: the processor reads only their annotations and names
 * (the names become the keys of the weights, {@code <field>.weight}, as in a PyTorch state_dict).
 */
public interface Layer {}
