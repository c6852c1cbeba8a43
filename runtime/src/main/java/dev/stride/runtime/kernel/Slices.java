package dev.stride.runtime.kernel;

/** Argument checks for layers that write a channel slice of a wider output. */
final class Slices {
  private Slices() {}

  /** Channels {@code [offset, offset + channels)} must lie within {@code outChannels}. */
  static void check(int channels, int offset, int outChannels) {
    if (offset < 0 || outChannels < channels || offset > outChannels - channels) {
      throw new IllegalArgumentException(
          "channels ["
              + offset
              + ", "
              + ((long) offset + channels)
              + ") do not fit in an output of "
              + outChannels
              + " channels");
    }
  }
}
