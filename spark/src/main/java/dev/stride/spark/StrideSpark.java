package dev.stride.spark;

import dev.stride.runtime.Model;

/** Entry point: generated Stride models as Spark column transformations. */
public final class StrideSpark {
  private StrideSpark() {}

  /**
   * A classifier that runs the model {@code loader} builds from the weights at {@code weightsUri}
   * (a local path, or any URI Hadoop's file systems read, such as {@code hdfs://} or {@code
   * s3a://}, as seen from the driver), for example {@code StrideSpark.classifier(LeNetModel::load,
   * "hdfs:///models/lenet.safetensors").transform(images, "pixels", "prediction")}.
   */
  public static <M extends Model> StrideClassifier classifier(
      ModelLoader<M> loader, String weightsUri) {
    return new StrideClassifier(loader, weightsUri);
  }
}
