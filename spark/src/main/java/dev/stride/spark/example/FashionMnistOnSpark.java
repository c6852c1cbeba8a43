package dev.stride.spark.example;

import dev.stride.example.FashionMnist;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.WeightNames;
import dev.stride.spark.StrideSpark;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * example-app's workflow on Spark: the Fashion-MNIST test set goes to Parquet, the LeNet PyTorch
 * trained ({@code lenet.pt}) classifies it as a Spark job, the predictions go to Parquet, and the
 * accuracy read back from them is printed beside the plain-Java loop's on the same images.
 *
 * <p>One optional argument: the directory for the Parquet files, default {@code
 * target/spark-example}; on a cluster, a directory every executor reaches, such as {@code
 * hdfs:///tmp/stride-example}. Runs on {@code local[2]} unless {@code spark-submit} names a master.
 */
public final class FashionMnistOnSpark {
  private FashionMnistOnSpark() {}

  /** Runs the example; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    String dir = args.length > 0 ? args[0] : "target/spark-example";
    Path lenet = shippedWeights();
    // A file: URI, since a bare path would name a file on the cluster's default file system.
    String weights = lenet.toUri().toString();

    SparkSession.Builder builder = SparkSession.builder().appName("stride-fashion-mnist");
    if (!new SparkConf().contains("spark.master")) {
      builder.master("local[2]");
    }
    SparkSession spark = builder.getOrCreate();
    try {
      FashionMnist test = FashionMnist.testSet();
      out.printf(
          Locale.ROOT,
          "Spark %s, master %s: %,d Fashion-MNIST test images from %s%n",
          spark.version(),
          spark.sparkContext().master(),
          test.count(),
          test.source());

      String images = dir + "/fashion-mnist-test.parquet";
      toDataFrame(spark, test).write().mode(SaveMode.Overwrite).parquet(images);
      out.println("Wrote " + images);

      String predictions = dir + "/fashion-mnist-predictions.parquet";
      StrideSpark.classifier(p -> LeNetModel.load(p, WeightNames.sequential()), weights)
          .setIdCol("id")
          .setLogitsCol("logits")
          .transform(spark.read().parquet(images), "pixels", "prediction")
          .drop("pixels")
          .write()
          .mode(SaveMode.Overwrite)
          .parquet(predictions);
      out.println("Wrote " + predictions);

      Dataset<Row> result = spark.read().parquet(predictions);
      long total = result.count();
      long correct =
          result.filter(functions.col("label").equalTo(functions.col("prediction"))).count();

      // The plain-Java loop of example-app over the same images, for the side-by-side.
      int[] plain = plainJava(LeNetModel.load(lenet, WeightNames.sequential()), test);
      int plainCorrect = 0;
      for (int i = 0; i < test.count(); i++) {
        plainCorrect += plain[i] == test.labels()[i] ? 1 : 0;
      }
      long agree = 0;
      for (Row row : result.select("id", "prediction").collectAsList()) {
        agree += plain[row.getInt(0)] == row.getInt(1) ? 1 : 0;
      }
      out.printf(
          Locale.ROOT,
          "Accuracy: %.2f%% (Spark, %,d of %,d)   %.2f%% (plain Java, same weights and images)%n",
          100.0 * correct / total,
          correct,
          total,
          100.0 * plainCorrect / test.count());
      out.printf(Locale.ROOT, "Predictions equal to plain Java's: %,d of %,d%n", agree, total);
    } finally {
      spark.stop();
    }
  }

  /**
   * Rows {@code (id, label, pixels)} in slices of about 250 rows, as the driver ships each slice
   * inside its task, which Spark wants under 1 MiB.
   */
  static Dataset<Row> toDataFrame(SparkSession spark, FashionMnist data) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    List<Row> rows = new ArrayList<>(data.count());
    for (int i = 0; i < data.count(); i++) {
      float[] pixels =
          Arrays.copyOfRange(data.images(), i * FashionMnist.PIXELS, (i + 1) * FashionMnist.PIXELS);
      rows.add(RowFactory.create(i, (int) data.labels()[i], pixels));
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return spark.createDataFrame(
        sc.parallelize(rows, Math.max(sc.defaultParallelism(), (data.count() + 249) / 250)),
        schema);
  }

  /** example-app's loop: batches of 250 through {@code forward}, then the arg-max per image. */
  static int[] plainJava(LeNetModel model, FashionMnist data) {
    int batch = 250;
    int n = data.count();
    int[] predicted = new int[n];
    for (int from = 0; from < n; from += batch) {
      int size = Math.min(batch, n - from);
      float[] input =
          Arrays.copyOfRange(
              data.images(), from * FashionMnist.PIXELS, (from + size) * FashionMnist.PIXELS);
      float[] logits = model.forward(input, size);
      for (int i = 0; i < size; i++) {
        int best = 0;
        for (int k = 1; k < LeNetModel.OUTPUT_SIZE; k++) {
          if (logits[i * LeNetModel.OUTPUT_SIZE + k] > logits[i * LeNetModel.OUTPUT_SIZE + best]) {
            best = k;
          }
        }
        predicted[from + i] = best;
      }
    }
    return predicted;
  }

  /** example-app's {@code lenet.pt}, copied out of its jar, since loaders read files. */
  static Path shippedWeights() throws IOException {
    Path copy = Files.createTempFile("stride-", "-lenet.pt");
    copy.toFile().deleteOnExit();
    try (InputStream in = FashionMnist.class.getResourceAsStream("/fashion-mnist/lenet.pt")) {
      if (in == null) {
        throw new IOException("example-app's fashion-mnist/lenet.pt is not on the classpath");
      }
      Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
    }
    return copy;
  }
}
