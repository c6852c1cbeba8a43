package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Every branch of {@link KernelProvider#choose}, with the module check and loader stubbed. */
class KernelProviderTest {
  static final Supplier<Optional<Kernels>> MUST_NOT_LOAD =
      () -> fail("the vector implementation must not be loaded");

  static final boolean MODULE_PRESENT =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  @Test
  void scalarWhenAskedWithoutNotice() {
    KernelProvider.Choice c = KernelProvider.choose("scalar", true, MUST_NOT_LOAD);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
    assertNull(c.notice());
  }

  @Test
  void autoWithoutModuleIsScalarAndSaysHowToEnableSimd() {
    for (String mode : new String[] {"auto", "vector", " AUTO "}) {
      KernelProvider.Choice c = KernelProvider.choose(mode, false, MUST_NOT_LOAD);
      assertSame(ScalarKernels.INSTANCE, c.kernels(), mode);
      assertTrue(c.reason().contains("--add-modules jdk.incubator.vector"), c.reason());
      // Asked for by name, the fallback is a warning; under auto it is informative.
      assertEquals(mode.equals("vector") ? Level.WARNING : Level.INFO, c.notice(), mode);
    }
  }

  @Test
  void moduleWithoutImplementationFallsBackToScalarWithAWarning() {
    KernelProvider.Choice c = KernelProvider.choose("auto", true, Optional::empty);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
    assertEquals(Level.WARNING, c.notice());
  }

  @Test
  void moduleWithImplementationUsesItQuietly() {
    Kernels fake = new FakeKernels();
    KernelProvider.Choice c = KernelProvider.choose("vector", true, () -> Optional.of(fake));
    assertSame(fake, c.kernels());
    assertNull(c.notice());
  }

  @Test
  void unknownModeFallsBackToAutoAndSaysSo() {
    KernelProvider.Choice c = KernelProvider.choose("simd", false, MUST_NOT_LOAD);
    assertSame(ScalarKernels.INSTANCE, c.kernels());
    assertTrue(c.reason().contains("unknown -Dstride.kernels=simd"), c.reason());
    assertEquals(Level.WARNING, c.notice());
    Kernels fake = new FakeKernels();
    KernelProvider.Choice v = KernelProvider.choose("simd", true, () -> Optional.of(fake));
    assertSame(fake, v.kernels());
    assertEquals(Level.WARNING, v.notice());
  }

  /**
   * Both surefire runs check the real loader: without the module the class must fail to link
   * quietly (no exception escapes), with it the Vector API kernels are this JVM's choice.
   */
  @Test
  void vectorKernelsLoadExactlyWhenTheModuleIsPresent() {
    Optional<Kernels> loaded = KernelProvider.loadVectorKernels();
    assertEquals(MODULE_PRESENT, loaded.isPresent());
    if (System.getProperty(KernelProvider.KERNELS_PROPERTY) == null) {
      assertEquals(MODULE_PRESENT ? "vector" : "scalar", KernelProvider.kernels().name());
      assertEquals(!MODULE_PRESENT, KernelProvider.choice().notice() != null);
    }
    loaded.ifPresent(k -> assertEquals("vector", k.name()));
  }

  @Test
  void thisJvmsNoticeWasGivenIfTheChoiceHasOne() {
    KernelProvider.Choice c = KernelProvider.choice();
    assertEquals(c.notice() != null, KernelProvider.noticeGiven());
  }

  @Test
  void noticeIsLoggedOnceWithHowToEnableSimd() {
    RecordingLogger logger = new RecordingLogger();
    AtomicBoolean given = new AtomicBoolean();
    KernelProvider.Choice c = KernelProvider.choose("auto", false, MUST_NOT_LOAD);
    assertTrue(KernelProvider.announce(c, logger, given));
    assertFalse(KernelProvider.announce(c, logger, given));
    assertFalse(
        KernelProvider.announce(
            KernelProvider.choose("simd", false, MUST_NOT_LOAD), logger, given));
    assertEquals(1, logger.messages.size(), logger.messages.toString());
    assertEquals(Level.INFO, logger.levels.get(0));
    String message = logger.messages.get(0);
    assertTrue(message.contains("scalar"), message);
    assertTrue(message.contains("--add-modules jdk.incubator.vector"), message);
  }

  @Test
  void noNoticeWhenScalarIsAskedFor() {
    RecordingLogger logger = new RecordingLogger();
    AtomicBoolean given = new AtomicBoolean();
    KernelProvider.Choice c = KernelProvider.choose("scalar", false, MUST_NOT_LOAD);
    assertFalse(KernelProvider.announce(c, logger, given));
    assertFalse(given.get());
    assertTrue(logger.messages.isEmpty());
  }

  /** Keeps what is logged to it. */
  private static final class RecordingLogger implements System.Logger {
    final List<Level> levels = new ArrayList<>();
    final List<String> messages = new ArrayList<>();

    @Override
    public String getName() {
      return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      levels.add(level);
      messages.add(msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      levels.add(level);
      messages.add(params == null ? format : java.text.MessageFormat.format(format, params));
    }
  }

  /** Stands in for a Vector API implementation; never run. */
  private static final class FakeKernels implements Kernels {
    @Override
    public String name() {
      return "fake";
    }

    @Override
    public void conv2d(
        float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {}

    @Override
    public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {}

    @Override
    public void avgPool2d(
        float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {}

    @Override
    public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {}

    @Override
    public void batchNorm(
        float[] x,
        int n,
        int channels,
        int spatial,
        float[] mean,
        float[] var,
        float[] weight,
        float[] bias,
        double eps) {}

    @Override
    public void relu(float[] x, int length) {}

    @Override
    public void sigmoid(float[] x, int length) {}

    @Override
    public void tanh(float[] x, int length) {}

    @Override
    public void softmax(float[] x, int n, int features) {}

    @Override
    public void linear(
        float[] input,
        int n,
        int inFeatures,
        float[] weight,
        float[] bias,
        int outFeatures,
        float[] output) {}
  }
}
