package dev.stride.runtime.kernel;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Chooses the {@link Kernels} implementation once per JVM, following Lucene's
 * VectorizationProvider: a Vector API implementation is loaded by class name, and only after {@code
 * ModuleLayer.boot().findModule("jdk.incubator.vector")} shows the incubator module is present, so
 * nothing else in the runtime links against {@code jdk.incubator.vector}.
 *
 * <p>The system property {@code stride.kernels} ({@code auto}, the default, {@code scalar} or
 * {@code vector}) overrides the choice. Only the scalar implementation exists so far; {@link
 * #reason()} says why a choice was made, for the notice a later change will print.
 */
public final class KernelProvider {
  /**
   * The system property that overrides the choice: {@code auto}, {@code scalar} or {@code vector}.
   */
  public static final String KERNELS_PROPERTY = "stride.kernels";

  /** The class the Vector API implementation will have; looked up by name, never referenced. */
  static final String VECTOR_CLASS = "dev.stride.runtime.kernel.VectorKernels";

  static final String VECTOR_MODULE = "jdk.incubator.vector";

  /** The outcome of one choice: the kernels and why they were chosen. */
  record Choice(Kernels kernels, String reason) {}

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

  /** Lazily, so merely loading this class (or generated models) reads no properties. */
  private static final class Holder {
    static final Choice CHOICE =
        choose(
            System.getProperty(KERNELS_PROPERTY, "auto"),
            ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent(),
            KernelProvider::loadVectorKernels);
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
        return new Choice(ScalarKernels.INSTANCE, "-D" + KERNELS_PROPERTY + "=scalar");
      case "auto":
      case "vector":
        break;
      default:
        // A typo must not stop a model from running: fall back to auto and say so.
        prefix = "unknown -D" + KERNELS_PROPERTY + "=" + mode + " (use auto, scalar or vector); ";
        normalized = "auto";
    }
    if (!vectorModulePresent) {
      return new Choice(
          ScalarKernels.INSTANCE,
          prefix
              + VECTOR_MODULE
              + " is not present; run java with --add-modules "
              + VECTOR_MODULE
              + " to use SIMD kernels");
    }
    Optional<Kernels> vector = vectorLoader.get();
    if (vector.isEmpty()) {
      return new Choice(
          ScalarKernels.INSTANCE, prefix + "no Vector API kernels in this build of Stride");
    }
    return new Choice(vector.get(), prefix + VECTOR_MODULE + " is present");
  }

  /** Instantiates {@link #VECTOR_CLASS} reflectively; any failure means "not available". */
  static Optional<Kernels> loadVectorKernels() {
    try {
      Class<?> type = Class.forName(VECTOR_CLASS, true, KernelProvider.class.getClassLoader());
      return Optional.of((Kernels) type.getDeclaredConstructor().newInstance());
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return Optional.empty();
    }
  }
}
