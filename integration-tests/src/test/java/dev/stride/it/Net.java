package dev.stride.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What the tests use of a generated {@code <Spec>Model}; each one is adapted with method
 * references, so the tests compile against the generated members themselves.
 */
interface Net {
  float[] forward(float[] input);

  float[] forward(float[] input, int batch);

  void save(Path path) throws IOException;

  /** A {@code void save(Path) throws IOException}. */
  interface Saver {
    void save(Path path) throws IOException;
  }

  /** A {@code static <Spec>Model load(Path) throws IOException}, adapted. */
  interface Loader {
    Net load(Path path) throws IOException;
  }

  static Net of(
      Function<float[], float[]> single,
      BiFunction<float[], Integer, float[]> batched,
      Saver saver) {
    return new Net() {
      @Override
      public float[] forward(float[] input) {
        return single.apply(input);
      }

      @Override
      public float[] forward(float[] input, int batch) {
        return batched.apply(input, batch);
      }

      @Override
      public void save(Path path) throws IOException {
        saver.save(path);
      }
    };
  }
}
