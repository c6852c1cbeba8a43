package dev.stride.runtime.kernel;

import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Chooses the {@link Kernels} implementation once per JVM, following Lucene's
 * VectorizationProvider: a Vector API implementation is loaded by class name, and only after {@code
 * ModuleLayer.boot().findModule("jdk.incubator.vector")} shows the incubator module is present, so
 * nothing else in the runtime links against {@code jdk.incubator.vector}.
 *
 * <p>The system property {@code stride.kernels} ({@code auto}, the default, {@code scalar} or
 * {@code vector}) overrides the choice. When the choice falls back to the scalar kernels for any
 * reason but {@code -Dstride.kernels=scalar}, or a mistyped value is ignored, one notice per JVM
 * says why and how to enable SIMD, through {@link System.Logger} (so it lands wherever the
 * application sends its logs).
 */
public final class KernelProvider {
  /**
   * The system property that overrides the choice: {@code auto}, {@code scalar} or {@code vector}.
   */
  public static final String KERNELS_PROPERTY = "stride.kernels";

  /** The class the Vector API implementation will have; looked up by name, never referenced. */
  static final String VECTOR_CLASS = "dev.stride.runtime.kernel.VectorKernels";

  static final String VECTOR_MODULE = "jdk.incubator.vector";

  /** The logger the fallback notice goes to. */
  static final String LOGGER = "dev.stride.runtime.kernel";

  /**
   * The outcome of one choice: the kernels, why they were chosen, and how loudly to say so.
   *
   * @param notice the level of the one-time notice, or null when the choice needs none
   */
  record Choice(Kernels kernels, String reason, Level notice) {}

  /** Set once the notice is out, so the JVM prints it once however the choice is reached. */
  private static final AtomicBoolean NOTICE_GIVEN = new AtomicBoolean();

  private KernelProvider() {}

  /** The kernels this JVM uses, chosen on first use. */
  public static Kernels kernels() {
    return Holder.CHOICE.kernels();
  }

  /**
   * Why {@link #kernels()} are the ones in use, e.g. {@code jdk.incubator.vector is not present}.
   */
  public static String reason() {
    return Holder.CHOICE.reason();
  }

  /** The choice this JVM made, with its notice level. */
  static Choice choice() {
    return Holder.CHOICE;
  }

  /** Whether this JVM's one notice has been logged. */
  static boolean noticeGiven() {
    return NOTICE_GIVEN.get();
  }

  /** Lazily, so merely loading this class (or generated models) reads no properties. */
  private static final class Holder {
    static final Choice CHOICE = chooseAndNotify();

    private static Choice chooseAndNotify() {
      Choice choice =
          choose(
              System.getProperty(KERNELS_PROPERTY, "auto"),
              ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent(),
              KernelProvider::loadVectorKernels);
      announce(choice, System.getLogger(LOGGER), NOTICE_GIVEN);
      return choice;
    }
  }

  /**
   * Logs {@code choice}'s notice, if it has one, unless {@code given} says it is already out.
   *
   * @return whether this call logged it
   */
  static boolean announce(Choice choice, System.Logger logger, AtomicBoolean given) {
    if (choice.notice() == null || !given.compareAndSet(false, true)) {
      return false;
    }
    // A plain string, not a MessageFormat pattern: the reason quotes a user's property value.
    logger.log(
        choice.notice(),
        "Stride uses its " + choice.kernels().name() + " kernels: " + choice.reason());
    return true;
  }

  /**
   * The decision itself, free of global state so tests can run every branch.
   *
   * @param mode the value of {@code stride.kernels}
   * @param vectorModulePresent whether the boot layer has {@code jdk.incubator.vector}
   * @param vectorLoader loads the Vector API implementation, empty if it cannot be loaded
   */
  static Choice choose(
      String mode, boolean vectorModulePresent, Supplier<Optional<Kernels>> vectorLoader) {
    String normalized = mode.trim().toLowerCase(Locale.ROOT);
    String prefix = "";
    switch (normalized) {
      case "scalar":
        return new Choice(ScalarKernels.INSTANCE, "-D" + KERNELS_PROPERTY + "=scalar", null);
      case "auto":
      case "vector":
        break;
      default:
        // A typo must not stop a model from running: fall back to auto and say so.
        prefix = "unknown -D" + KERNELS_PROPERTY + "=" + mode + " (use auto, scalar or vector); ";
        normalized = "auto";
    }
    // Asked for by name (or mistyped), a fallback is a warning; under auto it is the expected
    // outcome on a JVM without the flag, and only informative.
    Level fallback = normalized.equals("vector") || !prefix.isEmpty() ? Level.WARNING : Level.INFO;
    if (!vectorModulePresent) {
      return new Choice(
          ScalarKernels.INSTANCE,
          prefix
              + VECTOR_MODULE
              + " is not present; run java with --add-modules "
              + VECTOR_MODULE
              + " to use SIMD kernels",
          fallback);
    }
    Optional<Kernels> vector = vectorLoader.get();
    if (vector.isEmpty()) {
      return new Choice(
          ScalarKernels.INSTANCE,
          prefix + "no Vector API kernels in this build of Stride",
          Level.WARNING);
    }
    return new Choice(
        vector.get(),
        prefix + VECTOR_MODULE + " is present",
        prefix.isEmpty() ? null : Level.WARNING);
  }

  /** Instantiates {@link #VECTOR_CLASS} reflectively; any failure means "not available". */
  static Optional<Kernels> loadVectorKernels() {
    try {
      Class<?> type = Class.forName(VECTOR_CLASS, true, KernelProvider.class.getClassLoader());
      return Optional.of((Kernels) type.getDeclaredConstructor().newInstance());
    } catch (ExceptionInInitializerError e) {
      // A mistyped -Dstride.vectorBits, vectorRegisters or gemm: say so rather than fall back.
      if (e.getCause() instanceof IllegalArgumentException bad) {
        throw bad;
      }
      return Optional.empty();
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return Optional.empty();
    }
  }

  /**
   * The vector kernels' species, GEMM tile and cache blocking in this JVM, in one line (for logs
   * and benchmark headers), or why there are none.
   */
  public static String geometry() {
    if (!kernels().name().equals("vector")) {
      return "scalar kernels: " + reason();
    }
    return vectorGeometry().describe();
  }

  /**
   * Bits per vector of the vector kernels' species in this JVM (128, 256 or 512), or 0 with the
   * scalar kernels.
   */
  public static int vectorBits() {
    return kernels().name().equals("vector") ? vectorGeometry().vectorBits() : 0;
  }

  /**
   * Measures this machine's FMA peak for the vector kernels' species on {@code threads} threads at
   * once, in GFLOP/s (about a second); NaN with the scalar kernels. For benchmarks, which state
   * their speed as a fraction of it.
   */
  public static double fmaPeak(int threads) throws InterruptedException {
    if (!kernels().name().equals("vector")) {
      return Double.NaN;
    }
    try {
      Class<?> probe = Class.forName("dev.stride.runtime.kernel.FmaPeak");
      java.lang.reflect.Method measure = probe.getDeclaredMethod("measure", int.class);
      return (double) measure.invoke(null, threads);
    } catch (java.lang.reflect.InvocationTargetException e) {
      if (e.getCause() instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Vector registers the GEMM tile was chosen for: 32 where C2 uses AVX-512 (or on AArch64), 16
   * with AVX2; 0 with the scalar kernels.
   */
  public static int vectorRegisters() {
    return kernels().name().equals("vector") ? vectorGeometry().registers() : 0;
  }

  /** The vector kernels' tile shape, rows x vectors ({@code 8x3}), or empty with scalar ones. */
  public static String gemmShape() {
    return kernels().name().equals("vector") ? vectorGeometry().shape() : "";
  }

  private static GemmGeometry vectorGeometry() {
    try {
      Class<?> gemm = Class.forName("dev.stride.runtime.kernel.VectorGemm");
      return (GemmGeometry) gemm.getDeclaredField("GEOMETRY").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Whether the vector kernels run stride-1 3x3/5x5 convolutions as Winograd convolutions in this
   * JVM: yes unless {@code -Dstride.winograd=false} (see docs/performance.md).
   */
  public static boolean winograd() {
    return WinogradMatrices.enabled();
  }
}
