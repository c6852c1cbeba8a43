package dev.stride;

/**
 * The parameters of a {@link Block}: inside a block, any int attribute of a layer annotation, any
 * element of an {@code int[]} attribute, and {@link Repeat#value()} may be one of these constants,
 * and each use of the block gives the values with {@link Args}. A block that uses {@code A} and
 * {@code C} takes three values.
 *
 * <p>The values are distinct ints below -1,000,000, so that no size a user writes is mistaken for
 * one; they are never sizes themselves.
 */
public final class Arg {
  /** The first parameter. */
  public static final int A = -1_000_001;

  /** The second parameter. */
  public static final int B = -1_000_002;

  /** The third parameter. */
  public static final int C = -1_000_003;

  /** The fourth parameter. */
  public static final int D = -1_000_004;

  /** The fifth parameter. */
  public static final int E = -1_000_005;

  /** The sixth parameter. */
  public static final int F = -1_000_006;

  /** The seventh parameter. */
  public static final int G = -1_000_007;

  /** The eighth parameter. */
  public static final int H = -1_000_008;

  private Arg() {}
}
