/**
 * The processor's data: immutable records for a parsed spec ({@link
 * dev.stride.processor.model.NetworkModel}, one {@link dev.stride.processor.model.LayerSpec} per
 * layer kind) and for a checked one ({@link dev.stride.processor.model.NetworkPlan}).
 *
 * <p>Values are kept as the user wrote them (e.g. a one-value {@code kernelSize}); only the checker
 * resolves them, so that it can report what was written.
 */
package dev.stride.processor.model;
