/**
 * Reads specs into the {@link dev.stride.processor.model} records: the only code that reads
 * annotation mirrors and their values.
 *
 * <p>It judges nothing: a value javac could not evaluate becomes an {@link
 * dev.stride.processor.model.LayerSpec.Unreadable} layer (javac reports the mistake itself), and
 * everything else is left to {@code check}.
 */
package dev.stride.processor.parse;
