package dev.stride.spark;

import dev.stride.runtime.Model;
import dev.stride.spark.internal.ModelInput;
import dev.stride.spark.internal.ModelOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * A generated model as a column transformation: each row's input column (an array of floats or
 * doubles, or bytes with an {@link ImageDecoder}) goes through the model, and the row comes out
 * with the model's outputs appended: the arg-max class ({@code int}) and, if asked for, the logits
 * ({@code array<float>}). Other columns pass through; a null input gives null outputs.
 *
 * <p>Configure it like a Spark ML stage, with setters that return {@code this}, then call {@link
 * #transform(Dataset)}. The weights are read once, on the driver, and broadcast, so each executor
 * JVM receives them once and builds the model once, whatever the number of tasks; each task feeds
 * its partition through the model in batches of {@link #setBatchSize} rows and splits the work over
 * at most {@code spark.task.cpus} threads.
 */
public final class StrideClassifier {
  /** The batch size unless set: large enough for the kernels' batched paths, small in memory. */
  public static final int DEFAULT_BATCH_SIZE = 256;

  private final ModelLoader<?> loader;
  private final String weightsUri;
  private String inputCol = "features";
  private String predictionCol = "prediction";
  private String logitsCol;
  private String idCol;
  private ImageDecoder decoder;
  private int batchSize = DEFAULT_BATCH_SIZE;

  /** Built on the first transform and reused by later ones, so the weights travel once. */
  private Broadcast<byte[]> weights;

  private Model driverModel;

  /** Whether batch Datasets take the fast path; off only to test the path streaming ones take. */
  private boolean internalRows = true;

  StrideClassifier(ModelLoader<?> loader, String weightsUri) {
    this.loader = Objects.requireNonNull(loader, "loader");
    this.weightsUri = Objects.requireNonNull(weightsUri, "weightsUri");
  }

  /** The column holding each row's model input; default {@code features}. */
  public StrideClassifier setInputCol(String column) {
    inputCol = Objects.requireNonNull(column, "column");
    return this;
  }

  /** The new {@code int} column for the arg-max class; default {@code prediction}. */
  public StrideClassifier setPredictionCol(String column) {
    predictionCol = Objects.requireNonNull(column, "column");
    return this;
  }

  /** A new {@code array<float>} column for the model's outputs; none unless set. */
  public StrideClassifier setLogitsCol(String column) {
    logitsCol = column;
    return this;
  }

  /** A column that identifies rows, named in errors about a row (for example a bad length). */
  public StrideClassifier setIdCol(String column) {
    idCol = column;
    return this;
  }

  /** How to turn a binary input column into floats; required for a binary input, else unused. */
  public StrideClassifier setDecoder(ImageDecoder decoder) {
    this.decoder = decoder;
    return this;
  }

  /**
   * Rows per {@code forward} call; default {@value #DEFAULT_BATCH_SIZE}.
   *
   * @throws IllegalArgumentException if {@code rows < 1}
   */
  public StrideClassifier setBatchSize(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, got " + rows);
    }
    batchSize = rows;
    return this;
  }

  /** For tests: runs batch Datasets as streaming ones run, through Spark's encoders. */
  StrideClassifier useEncoders() {
    internalRows = false;
    return this;
  }

  /** As {@link #transform(Dataset)} with the given input and prediction columns. */
  public Dataset<Row> transform(Dataset<Row> data, String inputCol, String predictionCol) {
    return setInputCol(inputCol).setPredictionCol(predictionCol).transform(data);
  }

  /**
   * {@code data} with the output columns appended, computed lazily as Spark runs the plan; rows
   * keep their partitions and their order within them.
   *
   * @throws IllegalArgumentException if a column is missing or of the wrong type, or an output
   *     column already exists
   * @throws UncheckedIOException if the weights cannot be read or do not fit the model
   */
  public Dataset<Row> transform(Dataset<Row> data) {
    StructType schema = data.schema();
    transformSchema(schema);
    DataType inputType = schema.apply(inputCol).dataType();
    PartitionClassifier.Kind kind = kind(inputType);
    Broadcast<byte[]> broadcast = broadcast(data.sparkSession());
    if (internalRows
        && !data.isStreaming()
        && data.sparkSession() instanceof org.apache.spark.sql.classic.SparkSession session) {
      return transformInternalRows(data, session, kind, broadcast);
    }

    // Each row goes to the executors as two parts: the columns that pass through, as a Row, and
    // the model input, as a bean whose primitive float array Spark fills in one copy (a Row would
    // box every element, which costs more than LeNet's forward).
    List<Column> passed = new ArrayList<>();
    StructType passedSchema = new StructType();
    for (StructField field : schema.fields()) {
      if (kind != PartitionClassifier.Kind.FLOATS || !field.name().equals(inputCol)) {
        passed.add(data.col(quote(field.name())));
        passedSchema = passedSchema.add(field);
      }
    }
    Column input = data.col(quote(inputCol));
    Column values;
    Column hasNull;
    if (kind == PartitionClassifier.Kind.BYTES) {
      values = functions.lit(null).cast(DataTypes.createArrayType(DataTypes.FloatType, false));
      hasNull = functions.lit(false);
    } else {
      ArrayType array = (ArrayType) inputType;
      values =
          kind == PartitionClassifier.Kind.FLOATS && !array.containsNull()
              ? input
              : functions.transform(
                  input, x -> functions.coalesce(x.cast(DataTypes.FloatType), functions.lit(0f)));
      hasNull =
          array.containsNull()
              ? functions.coalesce(functions.exists(input, Column::isNull), functions.lit(false))
              : functions.lit(false);
    }
    Column bytes =
        kind == PartitionClassifier.Kind.BYTES
            ? input
            : functions.lit(null).cast(DataTypes.BinaryType);
    Dataset<Tuple2<Row, ModelInput>> in =
        data.select(
                functions.struct(passed.toArray(Column[]::new)).as("_1"),
                functions
                    .struct(values.as("values"), bytes.as("bytes"), hasNull.as("hasNull"))
                    .as("_2"))
            .as(Encoders.tuple(Encoders.row(passedSchema), Encoders.bean(ModelInput.class)));

    PartitionClassifier task =
        new PartitionClassifier(
            broadcast,
            fileName(),
            loader,
            inputCol,
            kind,
            decoder,
            idCol,
            idCol == null ? -1 : passedSchema.fieldIndex(idCol),
            logitsCol != null,
            batchSize);
    Dataset<Tuple2<Row, ModelOutput>> out =
        in.mapPartitions(
            task, Encoders.tuple(Encoders.row(passedSchema), Encoders.bean(ModelOutput.class)));

    // Back to the input's columns in their order, then the outputs.
    List<Column> columns = new ArrayList<>();
    for (StructField field : schema.fields()) {
      Column column =
          passedSchema.getFieldIndex(field.name()).isDefined()
              ? out.col("_1").getField(field.name())
              // The floats come back as a primitive array: cast to the input's declared type.
              : out.col("_2").getField("input").cast(field.dataType());
      columns.add(column.as(field.name()));
    }
    if (logitsCol != null) {
      columns.add(out.col("_2").getField("logits").as(logitsCol));
    }
    columns.add(out.col("_2").getField("prediction").as(predictionCol));
    return out.select(columns.toArray(Column[]::new));
  }

  /**
   * The fast path: the task reads Spark's own rows and writes them back with the outputs joined on,
   * so no row becomes a Java object on the way (that conversion cost more than LeNet's forward).
   * Spark's public API has no such map, so this uses two members Spark's own code uses: {@code
   * Dataset.queryExecution().toRdd()}, and the classic session's {@code internalCreateDataFrame},
   * which Scala restricts to Spark's packages but Java sees as public. Like {@code Dataset.rdd()},
   * it plans the input at once, so a shuffle in the input under adaptive execution runs when this
   * is called rather than with the job.
   */
  private Dataset<Row> transformInternalRows(
      Dataset<Row> data,
      org.apache.spark.sql.classic.SparkSession session,
      PartitionClassifier.Kind kind,
      Broadcast<byte[]> broadcast) {
    StructType schema = data.schema();
    StructType outSchema = transformSchema(schema);
    DataType inputType = schema.apply(inputCol).dataType();
    InternalRowClassifier task =
        new InternalRowClassifier(
            broadcast,
            fileName(),
            loader,
            inputCol,
            schema.fieldIndex(inputCol),
            kind,
            inputType instanceof ArrayType array && array.containsNull(),
            decoder,
            idCol,
            idCol == null ? -1 : schema.fieldIndex(idCol),
            idCol == null ? null : schema.apply(idCol).dataType(),
            logitsCol != null,
            batchSize);
    RDD<InternalRow> rows = data.queryExecution().toRdd();
    return session.internalCreateDataFrame(
        rows.toJavaRDD().mapPartitions(task).rdd(), outSchema, false);
  }

  /** A column name as {@code Dataset.col} reads it: backquoted, so dots are not nesting. */
  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /**
   * The schema {@link #transform} produces from {@code schema}: its columns, then the logits column
   * if set, then the prediction column.
   *
   * @throws IllegalArgumentException as {@link #transform} does
   */
  public StructType transformSchema(StructType schema) {
    String[] names = schema.fieldNames();
    if (!Arrays.asList(names).contains(inputCol)) {
      throw new IllegalArgumentException(
          "no input column '" + inputCol + "' among " + Arrays.toString(names));
    }
    if (idCol != null && !Arrays.asList(names).contains(idCol)) {
      throw new IllegalArgumentException(
          "no id column '" + idCol + "' among " + Arrays.toString(names));
    }
    kind(schema.apply(inputCol).dataType());
    StructType out = schema;
    if (logitsCol != null) {
      out = append(out, logitsCol, DataTypes.createArrayType(DataTypes.FloatType, false));
    }
    return append(out, predictionCol, DataTypes.IntegerType);
  }

  private static StructType append(StructType schema, String name, DataType type) {
    if (Arrays.asList(schema.fieldNames()).contains(name)) {
      throw new IllegalArgumentException(
          "output column '" + name + "' already exists; choose another name");
    }
    return schema.add(
        new StructField(name, type, true, org.apache.spark.sql.types.Metadata.empty()));
  }

  private PartitionClassifier.Kind kind(DataType type) {
    if (type instanceof ArrayType array) {
      if (array.elementType() instanceof FloatType) {
        return PartitionClassifier.Kind.FLOATS;
      }
      if (array.elementType() instanceof DoubleType) {
        return PartitionClassifier.Kind.DOUBLES;
      }
    }
    if (type instanceof BinaryType) {
      if (decoder == null) {
        throw new IllegalArgumentException(
            "input column '"
                + inputCol
                + "' is binary: set a decoder, e.g. ImageDecoder.unsignedBytes()");
      }
      return PartitionClassifier.Kind.BYTES;
    }
    throw new IllegalArgumentException(
        "input column '"
            + inputCol
            + "' is "
            + type.simpleString()
            + "; expected array<float>, array<double> or binary");
  }

  /**
   * The weights' broadcast, made on first use: the driver reads the file through Hadoop's file
   * systems (so {@code hdfs://}, {@code s3a://} and local paths all work) and builds the model once
   * itself, so that weights that do not fit fail here rather than in every task.
   */
  private synchronized Broadcast<byte[]> broadcast(SparkSession spark) {
    if (weights == null || !weights.isValid()) {
      byte[] bytes = read(spark);
      try {
        driverModel = ModelCache.load(bytes, fileName(), loader);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "weights " + weightsUri + " do not fit: " + e.getMessage(), e);
      }
      weights = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
      // In local mode the tasks run in this JVM: they share the model just built.
      ModelCache.put(weights.id(), driverModel);
    }
    return weights;
  }

  private byte[] read(SparkSession spark) {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(weightsUri);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (InputStream in = fs.open(path)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read weights " + weightsUri + ": " + e.getMessage(), e);
    }
  }

  private String fileName() {
    return new org.apache.hadoop.fs.Path(weightsUri).getName();
  }

  /**
   * Releases the weights' broadcast on the executors; a later {@link #transform} broadcasts them
   * again.
   */
  public synchronized void close() {
    if (weights != null) {
      weights.destroy();
      weights = null;
      driverModel = null;
    }
  }
}
