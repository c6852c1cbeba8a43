/**
 * Planning and running a network graph: {@link dev.stride.runtime.engine.Plan#of} rewrites the
 * graph (BatchNorm folded, bias, activation and residual Add fused into the producing layer's
 * output pass, Concat operands written as channel slices) into steps over buffers assigned by
 * liveness, and runs them in per-thread buffers. Depends on the graph module and the kernels only.
 */
package dev.stride.runtime.engine;
