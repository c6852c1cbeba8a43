package dev.stride.spark;

/**
 * Every test of {@link StrideClassifierTest} on the path that streaming Datasets take, through
 * Spark's encoders, rather than the internal-row path that batch Datasets take.
 */
class EncoderPathTest extends StrideClassifierTest {
  @Override
  StrideClassifier classifier() {
    return super.classifier().useEncoders();
  }
}
