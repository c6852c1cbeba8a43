/**
 * The network graph that the processor writes and the runtime reads: {@link dev.stride.graph.Graph}
 * of {@link dev.stride.graph.Node}s, one {@link dev.stride.graph.LayerKind} record per layer kind
 * owning its shape rule, parameters, counts, summary text and table encoding, and {@link
 * dev.stride.graph.ShapeArithmetic}, PyTorch's size formulas. No dependencies.
 */
package dev.stride.graph;
