/** JMH benchmarks: whole networks now, single kernels as they get fast paths. */
package dev.stride.benchmarks;
