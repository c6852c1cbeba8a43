/**
 * What generated models run on: {@link dev.stride.runtime.NetworkDef} (the layer table a generated
 * class declares), {@link dev.stride.runtime.CompiledNetwork} (weights plus forward pass), and
 * safetensors reading and writing.
 *
 * <p>Generated code calls only the public types of this package; it never references the incubating
 * Vector API, so users compile without flags.
 */
package dev.stride.runtime;
