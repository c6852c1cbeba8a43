package dev.stride.runtime.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The one pool of worker threads that every model's kernels share, sized by {@code
 * -Dstride.threads=N} (default: the available processors). Its threads are daemons, so a program
 * that only runs models still exits when {@code main} returns.
 */
public final class Parallel {
  /** The system property that sets the number of threads. */
  public static final String THREADS_PROPERTY = "stride.threads";

  private Parallel() {}

  /**
   * Set on a thread while it runs a task of {@link #forEachUnsplit}: the kernels that task calls
   * see one thread and run inline.
   */
  private static final ThreadLocal<boolean[]> UNSPLIT =
      ThreadLocal.withInitial(() -> new boolean[1]);

  /**
   * The number of threads kernels split work over: 1 inside a task of {@link #forEachUnsplit},
   * whose work is already spread over the pool.
   */
  public static int threads() {
    return Holder.THREADS == 1 || UNSPLIT.get()[0] ? 1 : Holder.THREADS;
  }

  /**
   * As {@link #forEach}, but each task runs whole on one thread: the kernels it calls see {@link
   * #threads()} {@code == 1}, and any {@code forEach} they reach runs inline. For callers that
   * split the work themselves into independent pieces (a network run per chunk of samples), so
   * there is one hand-off to the pool per call instead of one per layer, and a piece's data stays
   * in its core's caches.
   */
  public static void forEachUnsplit(int count, IntConsumer task) {
    forEach(
        count,
        i -> {
          boolean[] unsplit = UNSPLIT.get();
          boolean outer = unsplit[0];
          unsplit[0] = true;
          try {
            task.accept(i);
          } finally {
            unsplit[0] = outer;
          }
        });
  }

  /**
   * Runs {@code task.accept(i)} for every {@code i} in {@code [0, count)}, spread over the pool,
   * and returns when all are done; runs inline when there is one thread or one task, or inside a
   * task of {@link #forEachUnsplit}. Called from a worker (nested), it forks into the same pool
   * rather than blocking a thread.
   */
  public static void forEach(int count, IntConsumer task) {
    if (count <= 0) {
      return;
    }
    if (count == 1 || threads() == 1) {
      for (int i = 0; i < count; i++) {
        task.accept(i);
      }
      return;
    }
    // One claimer per thread, each taking indices from a shared counter until none are left: as
    // balanced as one task per index (a claimer whose thread is held up just claims fewer), but a
    // few small objects per call instead of one task per index (LeNet at batch 256: 2.1 KB per
    // batch layer by layer, ~740 B chunked, from these tasks).
    Claims claims = new Claims(count, task);
    int workers = Math.min(count, Holder.THREADS);
    if (ForkJoinTask.inForkJoinPool()) {
      claims.run(workers);
    } else {
      Holder.POOL.invoke(
          new RecursiveAction() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void compute() {
              claims.run(workers);
            }
          });
    }
  }

  /** The indices of one {@link #forEach} call, claimed in order by its {@link Claimer}s. */
  private static final class Claims extends AtomicInteger {
    private static final long serialVersionUID = 1L;
    private final int count;
    private final transient IntConsumer task;

    Claims(int count, IntConsumer task) {
      this.count = count;
      this.task = task;
    }

    /** Runs indices until none are left. */
    void drain() {
      for (int i = getAndIncrement(); i < count; i = getAndIncrement()) {
        task.accept(i);
      }
    }

    /**
     * Forks {@code workers - 1} claimers, drains on this thread too, and returns when all are done;
     * the first failure is rethrown once every claimer has stopped, and stops further claims.
     */
    void run(int workers) {
      Claimer[] helpers = new Claimer[workers - 1];
      for (int h = 0; h < helpers.length; h++) {
        helpers[h] = new Claimer(this);
        helpers[h].fork();
      }
      RuntimeException failure = null;
      try {
        drain();
      } catch (Error e) {
        set(count);
        joinQuietly(helpers);
        throw e;
      } catch (RuntimeException e) {
        set(count);
        failure = e;
      }
      for (int h = helpers.length - 1; h >= 0; h--) {
        try {
          helpers[h].join();
        } catch (RuntimeException e) {
          set(count);
          if (failure == null) {
            failure = e;
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    }

    private static void joinQuietly(Claimer[] helpers) {
      for (Claimer helper : helpers) {
        helper.quietlyJoin();
      }
    }
  }

  /** A pool task that drains its {@link Claims}. */
  private static final class Claimer extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient Claims claims;

    Claimer(Claims claims) {
      this.claims = claims;
    }

    @Override
    protected void compute() {
      claims.drain();
    }
  }

  /** Parses {@code stride.threads}; a bad value falls back to the processor count. */
  static int parseThreads(String value, int processors) {
    if (value == null || value.isBlank()) {
      return processors;
    }
    try {
      int n = Integer.parseInt(value.trim());
      return n >= 1 ? n : processors;
    } catch (NumberFormatException e) {
      return processors;
    }
  }

  /** Created on first use, so loading a model starts no threads until it computes. */
  private static final class Holder {
    static final int THREADS =
        parseThreads(
            System.getProperty(THREADS_PROPERTY), Runtime.getRuntime().availableProcessors());
    static final ForkJoinPool POOL =
        new ForkJoinPool(
            THREADS,
            pool -> {
              ForkJoinWorkerThread t =
                  ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
              t.setDaemon(true);
              t.setName("stride-kernel-" + t.getPoolIndex());
              return t;
            },
            null,
            false);
  }
}
