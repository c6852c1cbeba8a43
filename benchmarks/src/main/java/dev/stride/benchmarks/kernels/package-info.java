/**
 * JMH benchmarks of single kernels, scalar against Vector API, reporting time per call; GFLOP/s is
 * {@code flops / time}, with the FLOP count printed by each benchmark's setup.
 */
package dev.stride.benchmarks.kernels;
