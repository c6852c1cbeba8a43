package dev.stride.runtime.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The GEMM's register and cache blocking, chosen from the machine as BLIS picks a micro-kernel per
 * architecture: the tile shape from the vector registers, the K block and the columns per pass from
 * the caches. Free of the Vector API, so the choice itself is tested without it.
 *
 * <p>Every choice can be forced, so that each shape runs on any machine: {@code
 * -Dstride.vectorBits=128|256|512} (the species), {@code -Dstride.vectorRegisters=16|32}, {@code
 * -Dstride.gemm=8x3|6x2|4x3|4x2} (rows x vectors of the tile).
 *
 * @param vectorBits bits per vector of the species in use
 * @param registers vector registers C2 allocates from (16 with AVX2, 32 with AVX-512 or NEON)
 * @param mr rows of the micro-tile (weight rows per panel)
 * @param vectors vectors per micro-tile row; the tile is {@code mr x vectors * lanes} floats
 * @param narrowVectors vectors per row of the 6-row tile that layers with at most 6 output channels
 *     use
 * @param kc K block: an {@code mr x kc} weight panel stays in L1 across a pass's column tiles
 * @param tiles column tiles per pass over the weights: their packed B panels stay in L2
 * @param l1 L1 data cache bytes per core, as read or assumed
 * @param l2 L2 cache bytes per core, as read or assumed
 * @param source where the cache sizes came from
 */
record GemmGeometry(
    int vectorBits,
    int registers,
    int mr,
    int vectors,
    int narrowVectors,
    int kc,
    int tiles,
    long l1,
    long l2,
    String source) {

  /** Forces the species: {@code 128}, {@code 256} or {@code 512} bits. */
  static final String VECTOR_BITS_PROPERTY = "stride.vectorBits";

  /** Forces the register count the tile shape is chosen for: {@code 16} or {@code 32}. */
  static final String REGISTERS_PROPERTY = "stride.vectorRegisters";

  /**
   * Forces the tile shape, rows x vectors: {@code 8x3}, {@code 6x2}, {@code 4x3} or {@code 4x2}.
   */
  static final String SHAPE_PROPERTY = "stride.gemm";

  /** The tile shapes with a micro-kernel, rows x vectors. */
  static final String[] SHAPES = {"8x3", "6x2", "4x3", "4x2"};

  /** Assumed when sysfs does not say (containers, other systems): common on current x86 cores. */
  static final long FALLBACK_L1 = 32 << 10;

  static final long FALLBACK_L2 = 1 << 20;

  /** Floats per vector. */
  int lanes() {
    return vectorBits / 32;
  }

  /** Columns per micro-tile. */
  int nr() {
    return vectors * lanes();
  }

  /** The tile shape as {@code -Dstride.gemm} spells it. */
  String shape() {
    return mr + "x" + vectors;
  }

  /** One line for logs and benchmark headers. */
  String describe() {
    return String.format(
        Locale.ROOT,
        "%d-bit vectors, %d registers, GEMM tile %s (%d x %d floats), kc %d, %d tiles per pass;"
            + " L1 %d KB, L2 %d KB (%s)",
        vectorBits,
        registers,
        shape(),
        mr,
        nr(),
        kc,
        tiles,
        l1 >> 10,
        l2 >> 10,
        source);
  }

  /**
   * The geometry for this JVM.
   *
   * @param preferredBits bits of {@code FloatVector.SPECIES_PREFERRED}: 512 means C2 emits AVX-512,
   *     whose 32 registers stay available at any narrower species
   */
  static GemmGeometry forThisMachine(int preferredBits) {
    Caches caches = Caches.read(Path.of("/sys/devices/system/cpu/cpu0/cache"));
    return choose(
        preferredBits,
        System.getProperty("os.arch", ""),
        System.getProperty(VECTOR_BITS_PROPERTY),
        System.getProperty(REGISTERS_PROPERTY),
        System.getProperty(SHAPE_PROPERTY),
        caches);
  }

  /** The decision, free of global state so tests can run every branch. */
  static GemmGeometry choose(
      int preferredBits,
      String arch,
      String bitsProperty,
      String registersProperty,
      String shapeProperty,
      Caches caches) {
    int bits = preferredBits;
    if (bitsProperty != null && !bitsProperty.isBlank()) {
      bits = parse(VECTOR_BITS_PROPERTY, bitsProperty, "128, 256 or 512");
      if (bits != 128 && bits != 256 && bits != 512) {
        throw bad(VECTOR_BITS_PROPERTY, bitsProperty, "128, 256 or 512");
      }
      if (bits > preferredBits) {
        throw new IllegalArgumentException(
            "-D"
                + VECTOR_BITS_PROPERTY
                + "="
                + bitsProperty.trim()
                + ": this JVM's vectors are at most "
                + preferredBits
                + " bits; use "
                + preferredBits
                + " or less");
      }
    }
    // AVX-512 (preferred species 512 bits) has 32 registers at any width; AVX2 and older x86 has
    // 16; AArch64 (NEON, SVE) has 32.
    int registers = preferredBits >= 512 || arch.contains("aarch64") ? 32 : 16;
    if (registersProperty != null && !registersProperty.isBlank()) {
      registers = parse(REGISTERS_PROPERTY, registersProperty, "16 or 32");
      if (registers != 16 && registers != 32) {
        throw bad(REGISTERS_PROPERTY, registersProperty, "16 or 32");
      }
    }
    // The tile's accumulators plus one row of B vectors and its broadcasts must fit the registers.
    // 8 x 3 is 24 + 3 + 1 = 28 of 32. With 16, C2 loads all of a k step's broadcasts before its
    // FMAs once no range check stands between them (see VectorGemm), so 4 x 2 (8 + 2 + 4 = 14):
    // its 8 FMA chains still cover 2 FMA ports x 4 cycles of latency, while 6 x 2 (12 + 2 + 6)
    // runs only with range checks left in its loop, and slower.
    String shape = registers >= 32 ? "8x3" : "4x2";
    if (shapeProperty != null && !shapeProperty.isBlank()) {
      shape = shapeProperty.trim().toLowerCase(Locale.ROOT);
      if (!java.util.Arrays.asList(SHAPES).contains(shape)) {
        throw bad(SHAPE_PROPERTY, shapeProperty, String.join(", ", SHAPES));
      }
    }
    int mr = shape.charAt(0) - '0';
    int vectors = shape.charAt(2) - '0';
    // The 6-row tile for few output channels: as many vectors as the accumulators allow.
    int narrow = registers >= 32 ? 4 : 2;
    int lanes = bits / 32;
    // K block: the mr x kc weight panel takes at most a quarter of L1 (8 x 256 floats = 8 KB), so
    // it stays there while the tiles of a pass stream past it; a power of two from 64 to 512.
    long kcFit = caches.l1() / 4 / (4L * mr);
    int kc = 64;
    while (kc * 2 <= Math.min(512, kcFit)) {
      kc *= 2;
    }
    // Columns per pass: the tiles' packed B panels (kc x nr floats each) take a fifth of L2, so
    // each weight panel read from L3 or memory serves that many columns; at most 16 tiles.
    long panelBytes = 4L * kc * vectors * lanes;
    int tiles = (int) Math.max(1, Math.min(16, caches.l2() / 5 / panelBytes));
    return new GemmGeometry(
        bits, registers, mr, vectors, narrow, kc, tiles, caches.l1(), caches.l2(), caches.source());
  }

  private static int parse(String property, String value, String allowed) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw bad(property, value, allowed);
    }
  }

  private static IllegalArgumentException bad(String property, String value, String allowed) {
    return new IllegalArgumentException(
        "-D" + property + "=" + value + " is not supported; use " + allowed);
  }

  /**
   * Per-core data cache sizes in bytes.
   *
   * @param source {@code sysfs} when read, else what was assumed
   */
  record Caches(long l1, long l2, String source) {
    /**
     * Reads {@code index*}/{@code level}, {@code type} and {@code size} under {@code dir} (Linux
     * sysfs), falling back to {@link #FALLBACK_L1} and {@link #FALLBACK_L2} for what is missing.
     */
    static Caches read(Path dir) {
      long l1 = 0;
      long l2 = 0;
      for (int i = 0; i < 8; i++) {
        Path index = dir.resolve("index" + i);
        try {
          String level = Files.readString(index.resolve("level"), StandardCharsets.US_ASCII).trim();
          String type = Files.readString(index.resolve("type"), StandardCharsets.US_ASCII).trim();
          long size = parseSize(Files.readString(index.resolve("size"), StandardCharsets.US_ASCII));
          if (level.equals("1") && (type.equals("Data") || type.equals("Unified"))) {
            l1 = size;
          } else if (level.equals("2") && !type.equals("Instruction")) {
            l2 = size;
          }
        } catch (IOException | RuntimeException e) {
          // Absent or unreadable: the fallback below covers it.
        }
      }
      boolean known = l1 > 0 && l2 > 0;
      return new Caches(
          l1 > 0 ? l1 : FALLBACK_L1,
          l2 > 0 ? l2 : FALLBACK_L2,
          known ? "sysfs" : "assumed: no cache sizes in " + dir);
    }

    /** {@code 48K}, {@code 1024K}, {@code 2M} or plain bytes. */
    static long parseSize(String text) {
      String s = text.trim().toUpperCase(Locale.ROOT);
      long unit = 1;
      if (s.endsWith("K")) {
        unit = 1 << 10;
      } else if (s.endsWith("M")) {
        unit = 1 << 20;
      }
      if (unit > 1) {
        s = s.substring(0, s.length() - 1);
      }
      return Long.parseLong(s.trim()) * unit;
    }
  }
}
