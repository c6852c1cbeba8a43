package dev.stride.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.example.FashionMnist;
import dev.stride.example.LeNetModel;
import dev.stride.runtime.Model;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.WeightNames;
import dev.stride.runtime.kernel.Parallel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier on Spark's local mode against the plain-Java model, on the Fashion-MNIST images
 * and PyTorch-trained LeNet that example-app ships.
 */
class StrideClassifierTest {
  /** Logits may differ in the last bits between batch sizes; scaled by the logits' size. */
  private static final double TOLERANCE = 1e-4;

  private static final int IMAGES = 300;

  static SparkSession spark;
  static Path weights;
  private static LeNetModel plain;
  private static FashionMnist data;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws IOException {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("stride-spark-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate();
    weights = dir.resolve("lenet.pt");
    try (InputStream in = FashionMnist.class.getResourceAsStream("/fashion-mnist/lenet.pt")) {
      assertNotNull(in, "example-app's lenet.pt on the classpath");
      Files.copy(in, weights, StandardCopyOption.REPLACE_EXISTING);
    }
    plain = LeNetModel.load(weights, WeightNames.sequential());
    data = FashionMnist.shippedSubset();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** The classifier under test; {@link EncoderPathTest} runs every test on the encoder path. */
  StrideClassifier classifier() {
    return StrideSpark.classifier(
            p -> LeNetModel.load(p, WeightNames.sequential()), weights.toString())
        .setIdCol("id");
  }

  private static float[] image(int i) {
    return Arrays.copyOfRange(
        data.images(), i * FashionMnist.PIXELS, (i + 1) * FashionMnist.PIXELS);
  }

  private static final StructType FLOATS =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false), true);

  /** Rows {@code (id, pixels)} for images {@code 0..count-1} in {@code partitions} slices. */
  static Dataset<Row> images(int count, int partitions) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      rows.add(RowFactory.create(i, image(i)));
    }
    return spark.createDataFrame(
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
        FLOATS);
  }

  /** Checks each row against the plain model run on that image alone. */
  static void assertMatchesPlainJava(List<Row> rows, int count) {
    assertEquals(count, rows.size());
    for (Row row : rows) {
      int id = row.getInt(0);
      float[] expected = plain.forward(image(id));
      List<Float> logits = row.getList(row.fieldIndex("logits"));
      double scale = 0;
      for (float e : expected) {
        scale = Math.max(scale, Math.abs(e));
      }
      for (int k = 0; k < expected.length; k++) {
        assertEquals(expected[k], logits.get(k), TOLERANCE * scale, "image " + id + ", logit " + k);
      }
      assertEquals(
          PartitionClassifier.argmax(expected, 0, expected.length),
          row.getInt(row.fieldIndex("prediction")),
          "image " + id);
    }
  }

  @Test
  void predictionsEqualThePlainJavaModelsRowForRow() {
    StrideClassifier classifier = classifier().setLogitsCol("logits");
    Dataset<Row> in = images(IMAGES, 3);
    Dataset<Row> out = classifier.transform(in, "pixels", "prediction");
    assertEquals(List.of("id", "pixels", "logits", "prediction"), Arrays.asList(out.columns()));
    assertEquals(
        classifier.transformSchema(in.schema()).simpleString(), out.schema().simpleString());
    assertEquals(in.schema().apply("pixels"), out.schema().apply("pixels"));
    assertMatchesPlainJava(out.collectAsList(), IMAGES);
  }

  @Test
  void aPartitionLargerThanOneBatchKeepsEveryRowInOrder() {
    Dataset<Row> out =
        classifier()
            .setLogitsCol("logits")
            .setBatchSize(64)
            .transform(images(IMAGES, 1), "pixels", "prediction");
    List<Row> rows = out.collectAsList();
    assertMatchesPlainJava(rows, IMAGES);
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i, rows.get(i).getInt(0), "row order within the partition");
    }
  }

  @Test
  void emptyPartitionsAndAnEmptyDataset() {
    // Five rows in eight slices: at least three partitions are empty.
    Dataset<Row> out =
        classifier().setLogitsCol("logits").transform(images(5, 8), "pixels", "prediction");
    assertMatchesPlainJava(out.collectAsList(), 5);
    Dataset<Row> none = classifier().transform(images(0, 3), "pixels", "prediction");
    assertEquals(0, none.count());
  }

  @Test
  void aRowOfTheWrongLengthFailsTheJobNamingTheRowAndTheLengths() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(RowFactory.create(100 + i, i == 6 ? Arrays.copyOf(image(i), 783) : image(i)));
    }
    Dataset<Row> bad = spark.createDataFrame(rows, FLOATS).coalesce(1);
    Exception e =
        assertThrows(
            Exception.class,
            () -> classifier().transform(bad, "pixels", "prediction").collectAsList());
    String message = rootMessage(e, IllegalArgumentException.class);
    assertTrue(message.contains("id 106"), message);
    assertTrue(message.contains("row index 6 in partition 0"), message);
    assertTrue(message.contains("783 floats"), message);
    assertTrue(message.contains("takes 784"), message);
  }

  @Test
  void doublesPassThroughUntouchedAndANullElementFailsTheJob() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("pixels", DataTypes.createArrayType(DataTypes.DoubleType, true), true);
    List<Row> rows = new ArrayList<>();
    List<List<Double>> inputs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Double[] pixels = new Double[FashionMnist.PIXELS];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (double) data.images()[i * FashionMnist.PIXELS + p];
      }
      inputs.add(Arrays.asList(pixels));
      rows.add(RowFactory.create(i, inputs.get(i)));
    }
    List<Row> out =
        classifier()
            .setLogitsCol("logits")
            .transform(spark.createDataFrame(rows, schema), "pixels", "prediction")
            .collectAsList();
    assertMatchesPlainJava(out, 20);
    for (Row row : out) {
      assertEquals(inputs.get(row.getInt(0)), row.getList(1), "doubles passed through");
    }
    Double[] holed = inputs.get(3).toArray(new Double[0]);
    holed[5] = null;
    rows.set(3, RowFactory.create(3, Arrays.asList(holed)));
    Dataset<Row> bad = spark.createDataFrame(rows, schema).coalesce(1);
    Exception e =
        assertThrows(
            Exception.class,
            () -> classifier().transform(bad, "pixels", "prediction").collectAsList());
    String message = rootMessage(e, IllegalArgumentException.class);
    assertTrue(message.contains("id 3 (row index 3 in partition 0)"), message);
    assertTrue(message.contains("null element"), message);
  }

  @Test
  void nullInputsGiveNullOutputs() {
    List<Row> rows = List.of(RowFactory.create(0, image(0)), RowFactory.create(1, null));
    List<Row> out =
        classifier()
            .setLogitsCol("logits")
            .transform(spark.createDataFrame(rows, FLOATS), "pixels", "prediction")
            .orderBy("id")
            .collectAsList();
    assertMatchesPlainJava(out.subList(0, 1), 1);
    assertTrue(out.get(1).isNullAt(2));
    assertTrue(out.get(1).isNullAt(3));
  }

  @Test
  void imageBytesThroughADecoderGiveTheSamePredictions() throws IOException {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("raw", DataTypes.BinaryType, false)
            .add("png", DataTypes.BinaryType, false);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] raw = new byte[FashionMnist.PIXELS];
      BufferedImage grey = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      for (int p = 0; p < raw.length; p++) {
        int value = Math.round(data.images()[i * FashionMnist.PIXELS + p] * 255);
        raw[p] = (byte) value;
        grey.getRaster().setSample(p % 28, p / 28, 0, value);
      }
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      ImageIO.write(grey, "png", png);
      rows.add(RowFactory.create(i, raw, png.toByteArray()));
    }
    Dataset<Row> df = spark.createDataFrame(rows, schema);
    List<Row> fromRaw =
        classifier()
            .setLogitsCol("logits")
            .setDecoder(ImageDecoder.unsignedBytes())
            .transform(df.drop("png"), "raw", "prediction")
            .collectAsList();
    assertMatchesPlainJava(fromRaw, 40);
    List<Row> fromPng =
        classifier()
            .setLogitsCol("logits")
            .setDecoder(ImageDecoder.imageFile(1))
            .transform(df.drop("raw"), "png", "prediction")
            .collectAsList();
    assertMatchesPlainJava(fromPng, 40);
  }

  @Test
  void theModelIsBuiltOncePerJvmAndTasksUseTheirGrantedCores() {
    ThreadsProbe.MOST.set(0);
    int before = ModelCache.loads();
    StrideClassifier probe =
        StrideSpark.classifier(
            p -> new ThreadsProbe(LeNetModel.load(p, WeightNames.sequential())),
            weights.toString());
    Dataset<Row> df = images(IMAGES, 6);
    assertEquals(IMAGES, probe.transform(df, "pixels", "prediction").count());
    assertEquals(IMAGES, probe.transform(df, "pixels", "prediction").count());
    // local mode: driver and executor share this JVM, so one build serves both jobs' six tasks.
    assertEquals(1, ModelCache.loads() - before);
    // spark.task.cpus is 1 here: each task's forward saw one thread, whatever the pool's size.
    assertEquals(1, ThreadsProbe.MOST.get());
  }

  @Test
  void badConfigurationFailsOnTheDriverWithTheReason() {
    Dataset<Row> df = images(3, 1);
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class, () -> classifier().transform(df, "image", "p"));
    assertTrue(missing.getMessage().contains("no input column 'image'"), missing.getMessage());
    IllegalArgumentException clash =
        assertThrows(
            IllegalArgumentException.class, () -> classifier().transform(df, "pixels", "id"));
    assertTrue(clash.getMessage().contains("'id' already exists"), clash.getMessage());
    IllegalArgumentException type =
        assertThrows(IllegalArgumentException.class, () -> classifier().transform(df, "id", "p"));
    assertTrue(type.getMessage().contains("'id' is int; expected array<float>"), type.getMessage());
    Exception unreadable =
        assertThrows(
            Exception.class,
            () ->
                StrideSpark.classifier(LeNetModel::load, dir.resolve("absent.pt").toString())
                    .transform(df, "pixels", "p"));
    assertTrue(unreadable.getMessage().contains("absent.pt"), unreadable.getMessage());
  }

  /** The innermost message of a {@code type} in {@code e}'s causes, as Spark wraps task errors. */
  private static String rootMessage(Throwable e, Class<? extends Throwable> type) {
    String found = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        found = t.getMessage();
      }
    }
    return found != null ? found : e.getMessage();
  }

  /** LeNet, noting the most threads any {@code forward} was allowed. */
  static final class ThreadsProbe implements Model {
    static final AtomicInteger MOST = new AtomicInteger();
    private final Model model;

    ThreadsProbe(Model model) {
      this.model = model;
    }

    @Override
    public float[] forward(float[] input) {
      return model.forward(input);
    }

    @Override
    public float[] forward(float[] input, int batch) {
      return model.forward(input, batch);
    }

    @Override
    public void forward(float[] input, int batch, float[] output) {
      MOST.accumulateAndGet(Parallel.threads(), Math::max);
      model.forward(input, batch, output);
    }

    @Override
    public void save(Path path) throws IOException {
      model.save(path);
    }

    @Override
    public NetworkDef network() {
      return model.network();
    }
  }
}
