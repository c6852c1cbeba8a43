package dev.stride.runtime.kernel;

import java.util.concurrent.CountDownLatch;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's measured FMA peak for the species the kernels use ({@link KernelProvider#fmaPeak}):
 * every thread runs a loop of independent vector FMAs at once, and the best of a few rounds counts,
 * so that benchmarks can state their GFLOP/s as a fraction of what this machine does rather than of
 * a data sheet's figure.
 */
final class FmaPeak {
  /** The kernels' species, constant so C2 intrinsifies the loop. */
  private static final VectorSpecies<Float> SPECIES = VectorGemm.SPECIES;

  /** FMAs per loop iteration: 12 chains, within AVX2's 16 registers and above 2 ports x latency. */
  private static final int CHAINS = 12;

  private FmaPeak() {}

  /** GFLOP/s of {@code threads} threads running FMAs together: the best of 5 rounds of ~0.2 s. */
  static double measure(int threads) throws InterruptedException {
    // Warm-up: compiled by C2 before anything is timed.
    for (int i = 0; i < 3; i++) {
      sink += loop(200_000);
    }
    double best = 0;
    long iterations = 2_000_000;
    for (int round = 0; round < 5; round++) {
      long n = iterations;
      CountDownLatch go = new CountDownLatch(1);
      Thread[] workers = new Thread[threads];
      for (int t = 0; t < threads; t++) {
        workers[t] =
            new Thread(
                () -> {
                  try {
                    go.await();
                    sink += loop(n);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        workers[t].setDaemon(true);
        workers[t].start();
      }
      long t0 = System.nanoTime();
      go.countDown();
      for (Thread w : workers) {
        w.join();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      best = Math.max(best, threads * n * CHAINS * SPECIES.length() * 2.0 / seconds / 1e9);
      // Rounds of about 0.2 s whatever the machine's speed.
      iterations = Math.max(100_000, (long) (n * 0.2 / seconds));
    }
    return best;
  }

  @SuppressWarnings("unused")
  private static volatile float sink;

  /**
   * {@code n} iterations of 12 independent FMA chains; the result keeps them live. Each chain is
   * the addend, as a GEMM's sums are: with the chain as the multiplicand C2 copies the addend into
   * a new register before every FMA, and the loop falls well short of the machine's peak.
   */
  private static float loop(long n) {
    FloatVector m = FloatVector.broadcast(SPECIES, 0.999999f);
    FloatVector a = FloatVector.broadcast(SPECIES, 1e-7f);
    FloatVector c0 = FloatVector.broadcast(SPECIES, 1f);
    FloatVector c1 = c0.add(1f);
    FloatVector c2 = c0.add(2f);
    FloatVector c3 = c0.add(3f);
    FloatVector c4 = c0.add(4f);
    FloatVector c5 = c0.add(5f);
    FloatVector c6 = c0.add(6f);
    FloatVector c7 = c0.add(7f);
    FloatVector c8 = c0.add(8f);
    FloatVector c9 = c0.add(9f);
    FloatVector c10 = c0.add(10f);
    FloatVector c11 = c0.add(11f);
    for (long i = 0; i < n; i++) {
      c0 = a.fma(m, c0);
      c1 = a.fma(m, c1);
      c2 = a.fma(m, c2);
      c3 = a.fma(m, c3);
      c4 = a.fma(m, c4);
      c5 = a.fma(m, c5);
      c6 = a.fma(m, c6);
      c7 = a.fma(m, c7);
      c8 = a.fma(m, c8);
      c9 = a.fma(m, c9);
      c10 = a.fma(m, c10);
      c11 = a.fma(m, c11);
    }
    return c0.add(c1)
        .add(c2)
        .add(c3)
        .add(c4)
        .add(c5)
        .add(c6)
        .add(c7)
        .add(c8)
        .add(c9)
        .add(c10)
        .add(c11)
        .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }
}
