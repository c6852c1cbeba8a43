/**
 * Planning and running a network graph: {@link dev.stride.runtime.engine.Plan#of} rewrites the
 * graph (BatchNorm folded, bias, activation and residual Add fused into the producing layer's
 * output pass, Concat operands written as channel slices) into steps over buffers assigned by
 * liveness, and runs them in per-thread buffers. Each layer kind has one op class here (found by
 * {@code Ops}, a visitor over the graph module's kinds) that decides its steps and its fusions; the
 * planner walks the graph and knows no kind. Depends on the graph module and the kernels only.
 */
package dev.stride.runtime.engine;
