package dev.stride.spark;

import dev.stride.example.LeNetModel;
import dev.stride.runtime.WeightNames;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every test of {@link StrideClassifierTest} on the path that streaming Datasets take, through
 * Spark's encoders, rather than the internal-row path that batch Datasets take; and that path on a
 * real stream.
 */
class EncoderPathTest extends StrideClassifierTest {
  @TempDir static Path streamDir;

  @Override
  StrideClassifier classifier() {
    return super.classifier().useEncoders();
  }

  @Test
  void aStreamingDatasetIsClassifiedRowForRow() throws TimeoutException, StreamingQueryException {
    String input = streamDir.resolve("in").toString();
    images(100, 3).write().parquet(input);
    Dataset<Row> stream = spark.readStream().schema(images(0, 1).schema()).parquet(input);
    StreamingQuery query =
        StrideSpark.classifier(
                p -> LeNetModel.load(p, WeightNames.sequential()), weights.toString())
            .setLogitsCol("logits")
            .transform(stream, "pixels", "prediction")
            .writeStream()
            .format("memory")
            .queryName("scored")
            .option("checkpointLocation", streamDir.resolve("checkpoint").toString())
            .trigger(Trigger.AvailableNow())
            .start();
    query.awaitTermination();
    assertMatchesPlainJava(spark.table("scored").collectAsList(), 100);
  }
}
