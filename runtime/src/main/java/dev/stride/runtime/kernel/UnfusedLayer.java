package dev.stride.runtime.kernel;

/** See {@link PreparedLayer#unfused}. */
final class UnfusedLayer implements PreparedLayer {
  private final Kernels kernels;
  private final int outChannels;
  private final int spatial;
  private final Activation activation;
  private final PreparedLayer plain;

  UnfusedLayer(
      Kernels kernels, int outChannels, int spatial, Activation activation, PreparedLayer plain) {
    Geometry.positive("outChannels", outChannels);
    Geometry.positive("spatial", spatial);
    this.kernels = kernels;
    this.outChannels = outChannels;
    this.spatial = spatial;
    this.activation = activation;
    this.plain = plain;
  }

  @Override
  public void run(float[] input, int n, float[] output) {
    plain.run(input, n, output);
    activation.apply(kernels, output, n * outChannels * spatial);
  }

  @Override
  public boolean rebuildsWeight() {
    return plain.rebuildsWeight();
  }

  @Override
  public float[] weight() {
    return plain.weight();
  }

  // input (N, ...) -> output (N, outChannels, spatial) at channels [offset, offset + OC)
  @Override
  public void run(
      float[] input,
      int n,
      float[] output,
      int outChannelOffset,
      int sliceChannels,
      float[] residual) {
    Slices.check(outChannels, outChannelOffset, sliceChannels);
    int size = n * outChannels * spatial;
    if (outChannelOffset == 0 && sliceChannels == outChannels && residual == null) {
      run(input, n, output);
      return;
    }
    // A fresh array, not a per-thread one: the plain layer may hand this thread other layers'
    // tasks while it waits, and those could reach the same buffer.
    float[] scratch = new float[size];
    plain.run(input, n, scratch);
    if (residual != null) {
      kernels.add(scratch, residual, scratch, size, activation);
    } else {
      activation.apply(kernels, scratch, size);
    }
    kernels.copyChannels(scratch, n, outChannels, spatial, output, outChannelOffset, sliceChannels);
  }
}
