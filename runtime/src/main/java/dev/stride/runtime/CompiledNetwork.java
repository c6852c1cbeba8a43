package dev.stride.runtime;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@link NetworkDef} with its weights: what a generated {@code <Spec>Model} delegates to.
 *
 * <p>Immutable after construction; {@link #forward} is safe to call from several threads at once.
 */
public final class CompiledNetwork implements Model {
  // API fixed by the generated code; implementation in progress.

  /** Weights drawn from PyTorch's default initialisation distributions, reproducible per seed. */
  public static CompiledNetwork random(NetworkDef network, long seed) {
    throw new UnsupportedOperationException("todo");
  }

  /**
   * Reads weights from a safetensors file.
   *
   * @throws IOException naming the tensor and saying expected vs found, if the file does not fit
   */
  public static CompiledNetwork load(NetworkDef network, Path path) throws IOException {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public float[] forward(float[] input) {
    return forward(input, 1);
  }

  @Override
  public float[] forward(float[] input, int batch) {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public void save(Path path) throws IOException {
    throw new UnsupportedOperationException("todo");
  }

  @Override
  public NetworkDef network() {
    throw new UnsupportedOperationException("todo");
  }
}
