/**
 * The numeric kernels a forward pass is made of, behind one interface, {@link
 * dev.stride.runtime.kernel.Kernels}: a plain scalar reference implementation ({@link
 * dev.stride.runtime.kernel.ScalarKernels}) that tests use as the oracle, the Vector API
 * implementation ({@code VectorKernels}, with {@code VectorConvolution} and {@code VectorLinear}
 * for the prepared GEMMs, {@code VectorWinograd} for stride-1 3x3/5x5 convolutions, whose
 * transforms {@link dev.stride.runtime.kernel.WinogradMatrices} derives, {@code VectorDepthwise}
 * for depthwise and few-channel grouped convolutions, and {@code VectorEpilogue} for output passes
 * that add a residual), and {@link dev.stride.runtime.kernel.KernelProvider}, which chooses between
 * them once per JVM.
 *
 * <p>Only the {@code Vector*} classes may use {@code jdk.incubator.vector}, and no other class
 * names them except the provider, by string, after checking the module is present; so the runtime
 * loads and runs (on the scalar kernels) on JVMs started without {@code --add-modules
 * jdk.incubator.vector}.
 *
 * <p>Kernels see only flat {@code float[]} arrays in PyTorch's contiguous layouts plus the small
 * geometry records of this package; they know nothing of layer tables or weight names.
 */
package dev.stride.runtime.kernel;
