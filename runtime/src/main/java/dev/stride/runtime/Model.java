package dev.stride.runtime;

import java.io.IOException;
import java.nio.file.Path;

/** What every generated {@code <Spec>Model} can do, so code can serve any of them alike. */
public interface Model {
  /**
   * Runs one sample.
   *
   * @param input {@code C*H*W} (or {@code F}) floats in PyTorch's contiguous {@code (C, H, W)}
   *     order
   * @return the output features of the last layer
   * @throws IllegalArgumentException if {@code input} does not have the expected length
   */
  float[] forward(float[] input);

  /**
   * Runs {@code batch} samples stored back to back, {@code (N, C, H, W)}.
   *
   * @return the {@code batch} outputs back to back
   * @throws IllegalArgumentException if {@code input.length != batch * inputSize} or {@code batch <
   *     1}
   */
  float[] forward(float[] input, int batch);

  /**
   * As {@link #forward(float[], int)}, writing the outputs into the first {@code batch *
   * outputSize} floats of {@code output}; in the steady state it allocates nothing, for serving
   * loops that reuse their arrays.
   *
   * @throws IllegalArgumentException if an array has the wrong length, {@code batch < 1}, or {@code
   *     output} is {@code input}
   */
  void forward(float[] input, int batch, float[] output);

  /** Writes the weights as safetensors with PyTorch's names and layouts. */
  void save(Path path) throws IOException;

  /** The layer table this model runs. */
  NetworkDef network();
}
