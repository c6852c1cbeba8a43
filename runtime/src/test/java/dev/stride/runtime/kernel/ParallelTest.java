package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link Parallel}: the thread-count property and {@code forEach}'s guarantees. */
class ParallelTest {
  /**
   * Only a guard so that a deadlock fails the build instead of hanging it; the work takes
   * milliseconds.
   */
  static final Duration HANG = Duration.ofSeconds(30);

  @Test
  void parseThreads() {
    assertEquals(6, Parallel.parseThreads(null, 6));
    assertEquals(6, Parallel.parseThreads("", 6));
    assertEquals(6, Parallel.parseThreads("  ", 6));
    assertEquals(3, Parallel.parseThreads("3", 6));
    assertEquals(2, Parallel.parseThreads(" 2 ", 6));
    assertEquals(1, Parallel.parseThreads("1", 6));
    assertEquals(64, Parallel.parseThreads("64", 6));
  }

  @Test
  void badThreadCountsAreRejectedNamingThePropertyAndTheValue() {
    for (String bad : new String[] {"0", "-3", "abc", "1.5", "99999999999"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Parallel.parseThreads(bad, 6), bad);
      assertTrue(e.getMessage().contains("-Dstride.threads=" + bad), e.getMessage());
      assertTrue(e.getMessage().contains("1 or more"), e.getMessage());
    }
  }

  @Test
  void threadsFollowsThePropertyOrTheProcessors() {
    int expected =
        Parallel.parseThreads(
            System.getProperty(Parallel.THREADS_PROPERTY),
            Runtime.getRuntime().availableProcessors());
    assertEquals(expected, Parallel.threads());
    assertTrue(Parallel.threads() >= 1);
  }

  @Test
  void forEachRunsEveryIndexExactlyOnce() {
    for (int count : new int[] {0, 1, 2, 3, 7, 100, 1000}) {
      AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
      Parallel.forEach(count, hits::incrementAndGet);
      for (int i = 0; i < count; i++) {
        assertEquals(1, hits.get(i), "count " + count + ", index " + i);
      }
    }
    Parallel.forEach(-1, i -> assertTrue(false, "no index for a negative count"));
  }

  @Test
  void nestedForEachCompletesWithoutDeadlock() {
    int outer = 3 * Parallel.threads() + 1; // more tasks than workers, all blocking on inner work
    int inner = 17;
    AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner * 5);
    assertTimeoutPreemptively(
        HANG,
        () ->
            Parallel.forEach(
                outer,
                i ->
                    Parallel.forEach(
                        inner,
                        j ->
                            Parallel.forEach(
                                5, k -> hits.incrementAndGet((i * inner + j) * 5 + k)))));
    for (int i = 0; i < hits.length(); i++) {
      assertEquals(1, hits.get(i), "index " + i);
    }
  }

  @Test
  void forEachUnsplitRunsEachTaskWholeOnOneThread() {
    int count = 4 * Parallel.threads() + 3;
    int inner = 9;
    AtomicIntegerArray hits = new AtomicIntegerArray(count * inner);
    AtomicIntegerArray seenThreads = new AtomicIntegerArray(count);
    AtomicIntegerArray strayThreads = new AtomicIntegerArray(count);
    assertTimeoutPreemptively(
        HANG,
        () ->
            Parallel.forEachUnsplit(
                count,
                i -> {
                  seenThreads.set(i, Parallel.threads());
                  Thread mine = Thread.currentThread();
                  // A kernel's own forEach inside the task runs inline, on the task's thread.
                  Parallel.forEach(
                      inner,
                      j -> {
                        hits.incrementAndGet(i * inner + j);
                        if (Thread.currentThread() != mine) {
                          strayThreads.incrementAndGet(i);
                        }
                      });
                }));
    for (int i = 0; i < count; i++) {
      assertEquals(1, seenThreads.get(i), "threads() inside task " + i);
      assertEquals(0, strayThreads.get(i), "inner work of task " + i + " left its thread");
      for (int j = 0; j < inner; j++) {
        assertEquals(1, hits.get(i * inner + j), "task " + i + ", index " + j);
      }
    }
    // Afterwards (and on the caller, which may have run a task) the pool is split over again.
    int expected =
        Parallel.parseThreads(
            System.getProperty(Parallel.THREADS_PROPERTY),
            Runtime.getRuntime().availableProcessors());
    assertEquals(expected, Parallel.threads());
    Parallel.forEachUnsplit(1, i -> assertEquals(1, Parallel.threads()));
    assertEquals(expected, Parallel.threads());
  }

  @Test
  void withThreadsCapsThisThreadOnlyAndRestoresTheCap() {
    int full = Parallel.threads();
    Thread mine = Thread.currentThread();
    AtomicInteger stray = new AtomicInteger();
    Parallel.withThreads(
        1,
        () -> {
          assertEquals(1, Parallel.threads());
          // With one thread a kernel's forEach runs inline, on the capped caller.
          Parallel.forEach(
              50,
              i -> {
                if (Thread.currentThread() != mine) {
                  stray.incrementAndGet();
                }
              });
        });
    assertEquals(0, stray.get(), "indices run off the capped thread");
    Parallel.withThreads(
        2,
        () -> {
          assertEquals(Math.min(2, full), Parallel.threads());
          // A nested cap can lower the outer one, never raise it.
          Parallel.withThreads(3, () -> assertEquals(Math.min(2, full), Parallel.threads()));
          Parallel.forEachUnsplit(1, i -> assertEquals(1, Parallel.threads()));
          assertEquals(Math.min(2, full), Parallel.threads());
        });
    assertEquals(full, Parallel.threads());
    assertThrows(
        IllegalStateException.class,
        () ->
            Parallel.withThreads(
                1,
                () -> {
                  throw new IllegalStateException("task failed");
                }));
    assertEquals(full, Parallel.threads(), "cap left behind by a failing task");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Parallel.withThreads(0, () -> {}));
    assertTrue(e.getMessage().contains("at least 1, got 0"), e.getMessage());
  }

  @Test
  void forEachFromManyThreadsAndFromAnotherForkJoinPool() throws Exception {
    int count = 50;
    AtomicIntegerArray hits = fromCallers(8, count, 0);
    // A parallel stream runs in the common pool: forEach must work from its workers too.
    AtomicIntegerArray streamHits = new AtomicIntegerArray(16 * count);
    assertTimeoutPreemptively(
        HANG,
        () ->
            IntStream.range(0, 16)
                .parallel()
                .forEach(
                    s -> Parallel.forEach(count, i -> streamHits.incrementAndGet(s * count + i))));
    for (int i = 0; i < hits.length(); i++) {
      assertEquals(1, hits.get(i), "index " + i);
    }
    for (int i = 0; i < streamHits.length(); i++) {
      assertEquals(1, streamHits.get(i), "stream index " + i);
    }
  }

  @Test
  void anExceptionInATaskReachesTheCaller() {
    IllegalStateException thrown = new IllegalStateException("task 5 failed");
    IllegalStateException caught =
        assertTimeoutPreemptively(
            HANG,
            () ->
                assertThrows(
                    IllegalStateException.class,
                    () ->
                        Parallel.forEach(
                            10,
                            i -> {
                              if (i == 5) {
                                throw thrown;
                              }
                            })));
    assertSame(thrown, caught);
  }

  @Test
  void theWorkersSurviveAnErrorInATask() {
    // Errors on every third index, so that some are thrown on pool threads: each call rethrows
    // one, and the pool still runs every index of the calls after.
    assertTimeoutPreemptively(
        HANG,
        () -> {
          for (int round = 0; round < 20; round++) {
            assertThrows(
                StackOverflowError.class,
                () ->
                    Parallel.forEach(
                        30,
                        i -> {
                          if (i % 3 == 2) {
                            throw new StackOverflowError("index " + i);
                          }
                        }));
          }
        });
    AtomicIntegerArray hits = new AtomicIntegerArray(1000);
    assertTimeoutPreemptively(HANG, () -> Parallel.forEach(1000, hits::incrementAndGet));
    for (int i = 0; i < hits.length(); i++) {
      assertEquals(1, hits.get(i), "index " + i);
    }
  }

  @Test
  void moreCallsAtOnceThanThePoolTracks() throws Exception {
    // 100 callers whose calls overlap (each task sleeps): past the pool's table of calls in
    // progress, a call runs on its caller alone, and every index still runs exactly once.
    AtomicIntegerArray hits = fromCallers(100, 4, 5);
    for (int i = 0; i < hits.length(); i++) {
      assertEquals(1, hits.get(i), "index " + i);
    }
  }

  @Test
  void backToBackCallsEachRunTheirOwnIndicesOnce() throws Exception {
    // A thread reuses its job for its next call at the same depth: thousands of calls in a row from
    // two threads, of varying sizes, some nested, some failing, each checked as soon as it
    // returns; no task of a call may run after its call has returned, and a failure must not
    // outlive its call. Each task takes a few microseconds, so that the workers take part.
    int callers = 2;
    int calls = 2000;
    AtomicInteger wrong = new AtomicInteger();
    AtomicInteger late = new AtomicInteger();
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      tasks.add(
          () -> {
            for (int call = 0; call < calls; call++) {
              int count = 2 + call % 7;
              boolean nested = call % 50 == 0;
              boolean fails = call % 100 == 1;
              AtomicIntegerArray hits = new AtomicIntegerArray(count * (nested ? count : 1));
              AtomicBoolean returned = new AtomicBoolean();
              IntConsumer task =
                  i -> {
                    if (nested) {
                      Parallel.forEach(count, j -> hits.incrementAndGet(i * count + j));
                    } else {
                      hits.incrementAndGet(i);
                    }
                    long until = System.nanoTime() + 10_000;
                    while (System.nanoTime() < until) {
                      Thread.onSpinWait();
                    }
                    if (returned.get()) {
                      late.incrementAndGet();
                    }
                    if (fails && i == count - 1) {
                      throw new IllegalStateException("call fails");
                    }
                  };
              try {
                Parallel.forEach(count, task);
                if (fails) {
                  wrong.incrementAndGet();
                }
              } catch (IllegalStateException e) {
                if (!fails) {
                  wrong.incrementAndGet();
                }
              }
              returned.set(true);
              for (int i = 0; i < hits.length(); i++) {
                if (hits.get(i) != 1) {
                  wrong.incrementAndGet();
                }
              }
            }
            return null;
          });
    }
    runAll(tasks);
    assertEquals(0, wrong.get(), "calls that threw wrongly, or indices not run exactly once");
    assertEquals(0, late.get(), "tasks that ran after their call returned");
  }

  /**
   * {@code Parallel.forEach(count, ...)} from {@code callers} threads at once, each index counted
   * in the result ({@code caller * count + i}) and then sleeping {@code sleepMillis}; fails if the
   * calls take longer than {@link #HANG}.
   */
  private static AtomicIntegerArray fromCallers(int callers, int count, long sleepMillis)
      throws Exception {
    AtomicIntegerArray hits = new AtomicIntegerArray(callers * count);
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      tasks.add(
          () -> {
            Parallel.forEach(
                count,
                i -> {
                  hits.incrementAndGet(caller * count + i);
                  if (sleepMillis > 0) {
                    try {
                      Thread.sleep(sleepMillis);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                });
            return null;
          });
    }
    runAll(tasks);
    return hits;
  }

  /**
   * Runs {@code tasks} on a thread each, all at once; fails if they take longer than {@link #HANG}.
   */
  private static void runAll(List<Callable<Void>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      assertTimeoutPreemptively(
          HANG,
          () -> {
            for (Future<Void> f : pool.invokeAll(tasks)) {
              f.get();
            }
          });
    } finally {
      pool.shutdownNow();
    }
  }
}
