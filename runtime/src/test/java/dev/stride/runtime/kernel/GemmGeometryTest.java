package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The GEMM geometry's choice from the machine, and its switches. */
class GemmGeometryTest {
  private static final GemmGeometry.Caches ZEN4 =
      new GemmGeometry.Caches(32 << 10, 1 << 20, "test");

  private static GemmGeometry choose(int preferredBits, String bits, String regs, String shape) {
    return GemmGeometry.choose(preferredBits, "amd64", bits, regs, shape, ZEN4);
  }

  @Test
  void avx512KeepsTheEightByThreeTile() {
    GemmGeometry g = choose(512, null, null, null);
    assertEquals(32, g.registers());
    assertEquals("8x3", g.shape());
    assertEquals(48, g.nr());
    assertEquals(4, g.narrowVectors());
  }

  @Test
  void avx2GetsATileThatFitsSixteenRegisters() {
    GemmGeometry g = choose(256, null, null, null);
    assertEquals(16, g.registers());
    assertEquals("4x2", g.shape());
    assertEquals(16, g.nr());
    assertEquals(2, g.narrowVectors());
    // Accumulators, one row of B vectors and all of a k step's broadcasts within the registers.
    assertTrue(g.mr() * g.vectors() + g.vectors() + g.mr() <= g.registers());
  }

  @Test
  void narrowerVectorsOnAvx512KeepItsThirtyTwoRegisters() {
    GemmGeometry g = choose(512, "256", null, null);
    assertEquals(256, g.vectorBits());
    assertEquals(32, g.registers());
    assertEquals("8x3", g.shape());
    assertEquals(24, g.nr());
  }

  @Test
  void aarch64HasThirtyTwoRegistersAt128Bits() {
    GemmGeometry g = GemmGeometry.choose(128, "aarch64", null, null, null, ZEN4);
    assertEquals(32, g.registers());
    assertEquals("8x3", g.shape());
    assertEquals(12, g.nr());
  }

  @Test
  void switchesForceEachChoice() {
    GemmGeometry g = choose(512, "128", "16", "4x3");
    assertEquals(128, g.vectorBits());
    assertEquals(16, g.registers());
    assertEquals("4x3", g.shape());
    assertEquals(2, g.narrowVectors());
    assertEquals("4x2", choose(512, null, "16", null).shape());
    assertEquals("6x2", choose(256, null, null, "6x2").shape());
  }

  @Test
  void blockingFollowsTheCaches() {
    GemmGeometry small =
        GemmGeometry.choose(
            256, "amd64", null, null, null, new GemmGeometry.Caches(32 << 10, 512 << 10, "t"));
    GemmGeometry big =
        GemmGeometry.choose(
            256, "amd64", null, null, null, new GemmGeometry.Caches(32 << 10, 2 << 20, "t"));
    // The mr x kc weight panel within a quarter of L1.
    assertTrue(small.mr() * 4 * small.kc() <= (32 << 10) / 4);
    // The pass's B panels within a fifth of L2, and a bigger L2 holds more of them.
    assertTrue(small.tiles() * 4L * small.kc() * small.nr() <= (512 << 10) / 5);
    assertTrue(big.tiles() > small.tiles());
  }

  @ParameterizedTest
  @CsvSource({
    "stride.vectorBits, 384, 128, 256 or 512",
    "stride.vectorBits, abc, 128, 256 or 512",
    "stride.vectorRegisters, 24, 16 or 32",
    "stride.gemm, 7x7, '8x3, 6x2, 4x3, 4x2'",
  })
  void badSwitchValuesAreRejectedByName(String property, String value, String allowed) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                choose(
                    512,
                    property.equals("stride.vectorBits") ? value : null,
                    property.equals("stride.vectorRegisters") ? value : null,
                    property.equals("stride.gemm") ? value : null));
    assertTrue(e.getMessage().contains("-D" + property + "=" + value), e.getMessage());
    assertTrue(e.getMessage().contains(allowed), e.getMessage());
  }

  @Test
  void widerVectorsThanTheJvmRunsAreRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> choose(256, "512", null, null));
    assertTrue(e.getMessage().contains("-Dstride.vectorBits=512"), e.getMessage());
    assertTrue(e.getMessage().contains("at most 256"), e.getMessage());
  }

  @Test
  void cacheSizesAreReadFromSysfs(@TempDir Path dir) throws IOException {
    writeIndex(dir, 0, "1", "Data", "48K");
    writeIndex(dir, 1, "1", "Instruction", "32K");
    writeIndex(dir, 2, "2", "Unified", "1024K");
    writeIndex(dir, 3, "3", "Unified", "32768K");
    GemmGeometry.Caches caches = GemmGeometry.Caches.read(dir);
    assertEquals(48 << 10, caches.l1());
    assertEquals(1 << 20, caches.l2());
    assertEquals("sysfs", caches.source());
  }

  @Test
  void missingCacheSizesFallBackAndSaySo(@TempDir Path dir) {
    GemmGeometry.Caches caches = GemmGeometry.Caches.read(dir.resolve("absent"));
    assertEquals(GemmGeometry.FALLBACK_L1, caches.l1());
    assertEquals(GemmGeometry.FALLBACK_L2, caches.l2());
    assertTrue(caches.source().startsWith("assumed"), caches.source());
  }

  private static void writeIndex(Path dir, int i, String level, String type, String size)
      throws IOException {
    Path index = Files.createDirectories(dir.resolve("index" + i));
    Files.writeString(index.resolve("level"), level + "\n");
    Files.writeString(index.resolve("type"), type + "\n");
    Files.writeString(index.resolve("size"), size + "\n");
  }
}
