/**
 * The numeric kernels a forward pass is made of, behind one interface, {@link
 * dev.stride.runtime.kernel.Kernels}: a plain scalar reference implementation ({@link
 * dev.stride.runtime.kernel.ScalarKernels}) that tests use as the oracle, and the implementation
 * {@link dev.stride.runtime.kernel.KernelProvider} chooses once per JVM.
 *
 * <p>Kernels see only flat {@code float[]} arrays in PyTorch's contiguous layouts plus the small
 * geometry records of this package; they know nothing of layer tables or weight names.
 */
package dev.stride.runtime.kernel;
