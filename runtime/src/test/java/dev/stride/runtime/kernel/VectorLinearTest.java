package dev.stride.runtime.kernel;

import static dev.stride.runtime.kernel.ScalarKernelsTest.randoms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code VectorLinear} against {@link ScalarKernels}' prepared linear layer, within {@link
 * VectorLayers#assertClose}.
 */
class VectorLinearTest {
  private static final float JUNK = 12345f;

  @BeforeEach
  void needsVectorModule() {
    VectorLayers.assumeVectorModule();
  }

  private static void check(Random r, int n, int f, int of, boolean withBias, Activation act) {
    float[] weight = randoms(r, f * of);
    float[] bias = withBias ? randoms(r, of) : null;
    float[] input = randoms(r, n * f);
    float[] inputCopy = input.clone();
    float[] expected = new float[n * of];
    ScalarKernels.INSTANCE.prepareLinear(f, of, weight, bias, act).run(input, n, expected);
    float[] pre = new float[n * of];
    ScalarKernels.INSTANCE.prepareLinear(f, of, weight, bias, Activation.NONE).run(input, n, pre);
    float[] actual = new float[n * of + 7];
    Arrays.fill(actual, JUNK);
    PreparedLayer layer = VectorLayers.linear(f, of, weight, bias, act);
    layer.run(input, n, actual);
    String what = "n=" + n + " F=" + f + " OF=" + of + " bias=" + withBias + " " + act;
    VectorLayers.assertClose(expected, pre, actual, expected.length, what);
    // A batch-1 layer's first call takes the scalar twins of the row kernels: the same bits.
    float[] again = actual.clone();
    layer.run(input, n, again);
    assertArrayEquals(actual, again, what + ": a second call gave other bits");
    for (int i = expected.length; i < actual.length; i++) {
      assertEquals(JUNK, actual[i], what + ": wrote past the output at " + i);
    }
    assertArrayEquals(inputCopy, input, what + ": modified its input");
  }

  @Test
  void awkwardSizes() {
    Random r = new Random(1);
    int[] sizes = {1, 3, 7, 13, 31, 100, 257};
    for (int f : sizes) {
      for (int of : sizes) {
        for (int n : new int[] {1, 2, 3, 4, 5, 31}) {
          check(r, n, f, of, (f + of + n) % 2 == 0, Activation.NONE);
        }
      }
    }
  }

  @Test
  void everyActivationWithAndWithoutBias() {
    Random r = new Random(2);
    for (Activation act : Activation.values()) {
      for (boolean withBias : new boolean[] {false, true}) {
        for (int n : new int[] {1, 4, 17}) {
          check(r, n, 400, 120, withBias, act);
        }
      }
    }
  }

  @Test
  void largeBatches() {
    Random r = new Random(3);
    check(r, 257, 400, 120, true, Activation.SIGMOID);
    check(r, 256, 84, 10, true, Activation.NONE);
    check(r, 130, 257, 31, false, Activation.RELU);
  }

  @Test
  void alexNetLayers() {
    Random r = new Random(4);
    for (int n : new int[] {1, 2, 3, 32}) {
      check(r, n, 4096, 4096, true, Activation.RELU);
    }
    check(r, 1, 6400, 4096, true, Activation.RELU);
    check(r, 5, 4096, 10, true, Activation.NONE);
  }

  @Test
  void concurrentRunsMatchALoneRun() throws Exception {
    Random r = new Random(5);
    int f = 1000;
    int of = 700;
    PreparedLayer layer =
        VectorLayers.linear(f, of, randoms(r, f * of), randoms(r, of), Activation.TANH);
    int threads = 4;
    List<float[]> inputs = new ArrayList<>();
    List<float[]> alone = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int n = 1 + 20 * t;
      float[] input = randoms(r, n * f);
      float[] out = new float[n * of];
      layer.run(input, n, out);
      inputs.add(input);
      alone.add(out);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        float[] input = inputs.get(t);
        int n = 1 + 20 * t;
        futures.add(
            pool.submit(
                () -> {
                  float[] out = new float[n * of];
                  for (int rep = 0; rep < 20; rep++) {
                    layer.run(input, n, out);
                  }
                  return out;
                }));
      }
      for (int t = 0; t < threads; t++) {
        assertArrayEquals(alone.get(t), futures.get(t).get(), "thread " + t);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
