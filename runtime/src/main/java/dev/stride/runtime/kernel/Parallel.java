package dev.stride.runtime.kernel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one pool of worker threads that every model's kernels share, sized by {@code
 * -Dstride.threads=N} (default: the available processors): N - 1 daemon workers, and the thread
 * that calls {@link #forEach} takes tasks too, so N threads compute. Idle workers spin for {@link
 * #SPIN_NANOS} before they park; being daemons, they never keep a program alive.
 */
public final class Parallel {
  /** The system property that sets the number of threads. */
  public static final String THREADS_PROPERTY = "stride.threads";

  private Parallel() {}

  /**
   * The most threads this thread's calls may split work over: 1 while it runs a task of {@link
   * #forEachUnsplit}, so the kernels that task calls run inline; lowered by {@link #withThreads}.
   */
  private static final ThreadLocal<int[]> CAP =
      ThreadLocal.withInitial(() -> new int[] {Integer.MAX_VALUE});

  /**
   * The number of threads kernels split work over: 1 inside a task of {@link #forEachUnsplit},
   * whose work is already spread over the pool, and at most the cap of {@link #withThreads}.
   */
  public static int threads() {
    return Math.min(Holder.THREADS, CAP.get()[0]);
  }

  /**
   * Runs {@code task} on this thread with {@link #threads()} at most {@code threads}, for a caller
   * that is one of several sharing the machine, such as a Spark task granted {@code
   * spark.task.cpus} cores. With 1, every kernel {@code task} reaches runs inline on this thread;
   * with more, kernels split their work into pieces for that many threads.
   *
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static void withThreads(int threads, Runnable task) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    int[] cap = CAP.get();
    int outer = cap[0];
    cap[0] = Math.min(outer, threads);
    try {
      task.run();
    } finally {
      cap[0] = outer;
    }
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
          int[] cap = CAP.get();
          int outer = cap[0];
          cap[0] = 1;
          try {
            task.accept(i);
          } finally {
            cap[0] = outer;
          }
        });
  }

  /** A run of indices {@code [from, to)}. */
  @FunctionalInterface
  public interface Range {
    /** Works on the indices {@code [from, to)}. */
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, count)} split into {@code chunks} runs of near-equal length,
   * as {@link #forEach} runs its tasks; as one run on the calling thread when {@code chunks} is at
   * most 1.
   */
  public static void forRanges(int count, int chunks, Range body) {
    if (chunks <= 1) {
      body.run(0, count);
      return;
    }
    forEach(
        chunks,
        i -> body.run((int) ((long) count * i / chunks), (int) ((long) count * (i + 1) / chunks)));
  }

  /**
   * Runs {@code task.accept(i)} for every {@code i} in {@code [0, count)}, on the calling thread
   * and the pool's workers, and returns when all are done; runs inline when there is one thread or
   * one task, or inside a task of {@link #forEachUnsplit}. Called from a task (nested), it works
   * the same way: the calling thread takes indices too, so no thread ever blocks waiting for a free
   * one. The first exception a task throws stops further indices and is rethrown here once every
   * running task has finished.
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
    Holder.POOL.run(count, task);
  }

  /**
   * How long an idle worker, or a caller waiting for the last tasks of its call, spins before it
   * parks: a network hands work to the pool many times per pass, microseconds apart, and waking a
   * parked thread costs several times what a spinning one needs to notice. The spin waits with
   * {@code Thread.onSpinWait}, not {@code Thread.yield}, which measured slower at batch 1.
   */
  static final long SPIN_NANOS = 200_000;

  /**
   * The pool: {@code threads - 1} daemon workers, since the caller of {@link #forEach} takes
   * indices too, and a table of the calls in progress that idle workers take indices from.
   */
  private static final class Pool {
    private static final int SLOTS = 64;
    private final AtomicReferenceArray<Job> jobs = new AtomicReferenceArray<>(SLOTS);

    /** Bumped at every published call, so that a spinning worker looks at the table only then. */
    private final AtomicInteger published = new AtomicInteger();

    private final Worker[] workers;

    Pool(int threads) {
      workers = new Worker[threads - 1];
      for (int i = 0; i < workers.length; i++) {
        workers[i] = new Worker(this);
        Thread t = new Thread(workers[i], "stride-kernel-" + i);
        t.setDaemon(true);
        workers[i].thread = t;
        t.start();
      }
    }

    /**
     * Each thread's jobs, one per nesting depth of its calls in progress: a {@code forEach} runs
     * every frame, and a job per call would be garbage in the steady state.
     */
    private final ThreadLocal<Jobs> own = ThreadLocal.withInitial(Jobs::new);

    void run(int count, IntConsumer task) {
      Jobs mine = own.get();
      Job job = mine.acquire();
      try {
        job.reset(count, task);
        int slot = -1;
        for (int i = 0; i < SLOTS && slot < 0; i++) {
          if (jobs.get(i) == null && jobs.compareAndSet(i, null, job)) {
            slot = i;
          }
        }
        // No free slot (more calls in progress than slots): this one runs on its caller alone.
        if (slot >= 0) {
          published.incrementAndGet();
          int wanted = count - 1;
          for (int i = 0; i < workers.length && wanted > 0; i++) {
            if (workers[i].wake()) {
              wanted--;
            }
          }
        }
        job.drain();
        if (slot >= 0) {
          jobs.compareAndSet(slot, job, null);
        }
        job.await();
        job.quiesce();
        job.rethrow();
      } finally {
        job.clear();
        mine.release();
      }
    }

    /** The slot of a call in progress with indices left, or -1. */
    int find() {
      for (int i = 0; i < SLOTS; i++) {
        Job job = jobs.get(i);
        if (job != null && job.hasWork()) {
          return i;
        }
      }
      return -1;
    }

    /**
     * Takes indices of the call in {@code slot}, if it is still there. The job is reused by its
     * caller's next call once this one has returned, so a worker first counts itself in ({@link
     * Job#enter}), which that caller waits on, and then looks again: a job still in the table is in
     * a call that has not returned, whose fields the caller set before publishing it.
     */
    void help(int slot) {
      Job job = jobs.get(slot);
      if (job == null) {
        return;
      }
      job.enter();
      try {
        if (jobs.get(slot) == job) {
          job.drain();
        }
      } finally {
        job.exit();
      }
    }
  }

  /** A thread's {@link Job}s, by nesting depth. */
  private static final class Jobs {
    private Job[] stack = new Job[2];
    private int depth;

    Job acquire() {
      if (depth == stack.length) {
        stack = Arrays.copyOf(stack, 2 * depth);
      }
      Job job = stack[depth];
      if (job == null) {
        job = new Job(Thread.currentThread());
        stack[depth] = job;
      }
      depth++;
      return job;
    }

    void release() {
      depth--;
    }
  }

  /**
   * The indices of one {@link #forEach} call, claimed in order by the threads that take part;
   * reused by its caller thread for its next call at the same depth.
   */
  private static final class Job {
    private final Thread caller;
    private final AtomicInteger next = new AtomicInteger();

    /** Indices finished, or never to be run after a failure. */
    private final AtomicInteger done = new AtomicInteger();

    /** Workers between {@link #enter} and {@link #exit}. */
    private final AtomicInteger active = new AtomicInteger();

    private int count;
    private IntConsumer task;
    private volatile Throwable failure;

    Job(Thread caller) {
      this.caller = caller;
    }

    /** For a new call, before it is published (the publishing write makes these visible). */
    void reset(int count, IntConsumer task) {
      this.count = count;
      this.task = task;
      failure = null;
      done.set(0);
      next.set(0);
    }

    /** After the call (every index claimed by then): no reference kept to the task's data. */
    void clear() {
      task = null;
    }

    void enter() {
      active.incrementAndGet();
    }

    void exit() {
      active.decrementAndGet();
    }

    /**
     * Returns once no worker is between {@link #enter} and {@link #exit}. By now every index has
     * finished, so they leave at once, unless one was descheduled in between: then yield the core.
     */
    void quiesce() {
      for (int spins = 0; active.get() != 0; spins++) {
        if (spins < 1000) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    }

    boolean hasWork() {
      return next.get() < count;
    }

    /** Runs indices until none are left. */
    void drain() {
      for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
        int finished = 1;
        try {
          task.accept(i);
        } catch (Throwable t) {
          if (failure == null) {
            failure = t;
          }
          // No index after this one will be claimed: count them as done.
          finished += Math.max(0, count - next.getAndSet(count));
        }
        if (done.addAndGet(finished) == count && Thread.currentThread() != caller) {
          LockSupport.unpark(caller);
        }
      }
    }

    /** Returns once every claimed index has finished: spins, then parks until the last one. */
    void await() {
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      while (done.get() < count) {
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(this, SPIN_NANOS);
        }
      }
    }

    void rethrow() {
      Throwable t = failure;
      if (t instanceof RuntimeException e) {
        throw e;
      }
      if (t instanceof Error e) {
        throw e;
      }
    }
  }

  /** A pool thread: takes indices from published calls; idle, it spins a while, then parks. */
  private static final class Worker implements Runnable {
    private final Pool pool;
    private volatile boolean parked;
    Thread thread;

    Worker(Pool pool) {
      this.pool = pool;
    }

    /** Unparks this worker if it is parked; whether it was. */
    boolean wake() {
      if (parked) {
        parked = false;
        LockSupport.unpark(thread);
        return true;
      }
      return false;
    }

    @Override
    public void run() {
      while (true) {
        int slot = pool.find();
        if (slot >= 0) {
          pool.help(slot);
          continue;
        }
        int seen = pool.published.get();
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        boolean more = false;
        while (!more && System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
          more = pool.published.get() != seen;
        }
        if (more) {
          continue;
        }
        // Parked is set before the last look at the table, and a caller publishes before it looks
        // at parked: either this look sees the call, or the caller sees parked and unparks.
        parked = true;
        if (pool.find() < 0) {
          LockSupport.park(this);
        }
        parked = false;
      }
    }
  }

  /**
   * Parses {@code stride.threads}: unset or blank means the processor count; anything but a
   * positive integer is a mistake worth stopping for, since a silent fallback would hide it.
   */
  static int parseThreads(String value, int processors) {
    if (value == null || value.isBlank()) {
      return processors;
    }
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1) {
      throw new IllegalArgumentException(
          "-D"
              + THREADS_PROPERTY
              + "="
              + value
              + " is not a positive whole number of threads; use 1 or more (this machine has "
              + processors
              + " processors), or leave it unset for all of them");
    }
    return n;
  }

  /** Created on first use, so loading a model starts no threads until it computes. */
  private static final class Holder {
    static final int THREADS =
        parseThreads(
            System.getProperty(THREADS_PROPERTY), Runtime.getRuntime().availableProcessors());
    static final Pool POOL = new Pool(THREADS);
  }
}
