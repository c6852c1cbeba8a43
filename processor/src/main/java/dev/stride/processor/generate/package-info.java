/**
 * Writes the {@code <Spec>Model} class and its summary table from a checked {@link
 * dev.stride.processor.model.NetworkPlan} with JavaPoet.
 *
 * <p>Never sees an invalid spec: the processor calls it only for a report without errors, so
 * nothing here validates.
 */
package dev.stride.processor.generate;
