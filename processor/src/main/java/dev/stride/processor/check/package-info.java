/**
 * Shape inference and validation: turns a parsed spec into a {@link
 * dev.stride.processor.check.Report} of diagnostics from the {@link
 * dev.stride.processor.check.Message} catalogue and, when there is no error, a checked plan.
 *
 * <p>Nothing here prints: the processor prints the report, so checks stay pure and testable. The
 * arithmetic lives in {@link dev.stride.graph.ShapeArithmetic}, shared with the runtime (one copy).
 */
package dev.stride.processor.check;
