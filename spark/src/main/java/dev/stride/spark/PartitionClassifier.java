package dev.stride.spark;

import dev.stride.runtime.Model;
import dev.stride.runtime.kernel.Parallel;
import dev.stride.spark.internal.ModelInput;
import dev.stride.spark.internal.ModelOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * What each task runs over its partition on the encoder path, which streaming Datasets take (batch
 * ones take {@link InternalRowClassifier}'s): rows in batches of up to {@code batchSize}, one
 * {@code forward} per batch. A row arrives as the columns that pass through and the model input; it
 * leaves as the same columns and the model's outputs. Everything here travels to the executors, so
 * it holds the weights' broadcast, never the weights.
 */
final class PartitionClassifier
    implements MapPartitionsFunction<Tuple2<Row, ModelInput>, Tuple2<Row, ModelOutput>> {
  private static final long serialVersionUID = 1L;

  /** How the input column is stored. */
  enum Kind {
    /** {@code array<float>}: handed over as floats, and passed through from them. */
    FLOATS,
    /** {@code array<double>}: handed over as floats, the doubles passed through untouched. */
    DOUBLES,
    /** {@code binary}: decoded on the executor. */
    BYTES
  }

  private final Broadcast<byte[]> weights;
  private final String fileName;
  private final ModelLoader<?> loader;
  private final String inputCol;
  private final Kind kind;
  private final ImageDecoder decoder;
  private final String idCol;
  private final int idIndex;
  private final boolean logits;
  private final int batchSize;

  PartitionClassifier(
      Broadcast<byte[]> weights,
      String fileName,
      ModelLoader<?> loader,
      String inputCol,
      Kind kind,
      ImageDecoder decoder,
      String idCol,
      int idIndex,
      boolean logits,
      int batchSize) {
    this.weights = weights;
    this.fileName = fileName;
    this.loader = loader;
    this.inputCol = inputCol;
    this.kind = kind;
    this.decoder = decoder;
    this.idCol = idCol;
    this.idIndex = idIndex;
    this.logits = logits;
    this.batchSize = batchSize;
  }

  @Override
  public Iterator<Tuple2<Row, ModelOutput>> call(Iterator<Tuple2<Row, ModelInput>> rows)
      throws IOException {
    if (!rows.hasNext()) {
      // An empty partition: no model, not even a look at the broadcast.
      return java.util.Collections.emptyIterator();
    }
    Model model = ModelCache.get(weights.id(), weights::value, fileName, loader);
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    // A task may use the cores Spark granted it (spark.task.cpus), and no more: the executor's
    // other cores belong to the tasks running beside it.
    int threads = task == null ? Integer.MAX_VALUE : Math.max(1, task.cpus());
    return new Batches(rows, model, partition, threads);
  }

  /** The rows of one partition, classified a batch at a time as they are read. */
  private final class Batches implements Iterator<Tuple2<Row, ModelOutput>> {
    private final Iterator<Tuple2<Row, ModelInput>> in;
    private final Model model;
    private final int partition;
    private final int threads;
    private final int inSize;
    private final int outSize;
    private final Row[] rows;

    /** Each row's input floats as Spark handed them over, passed back out untouched. */
    private final float[][] floats;

    /** Each row's sample in the batch, or -1 for a null input (whose outputs are null). */
    private final int[] sample;

    private final float[] input;
    private final float[] output;
    private long position;
    private int filled;
    private int emitted;

    Batches(Iterator<Tuple2<Row, ModelInput>> in, Model model, int partition, int threads) {
      this.in = in;
      this.model = model;
      this.partition = partition;
      this.threads = threads;
      this.inSize = model.network().input().size();
      this.outSize = model.network().output().size();
      this.rows = new Row[batchSize];
      this.floats = new float[batchSize][];
      this.sample = new int[batchSize];
      this.input = new float[batchSize * inSize];
      this.output = new float[batchSize * outSize];
    }

    @Override
    public boolean hasNext() {
      if (emitted < filled) {
        return true;
      }
      fill();
      return filled > 0;
    }

    @Override
    public Tuple2<Row, ModelOutput> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int r = emitted++;
      Row row = rows[r];
      rows[r] = null;
      float[] passed = floats[r];
      floats[r] = null;
      ModelOutput out = new ModelOutput();
      int s = sample[r];
      if (s >= 0) {
        if (kind == Kind.FLOATS) {
          out.setInput(passed);
        }
        if (logits) {
          out.setLogits(Arrays.copyOfRange(output, s * outSize, (s + 1) * outSize));
        }
        out.setPrediction(argmax(output, s * outSize, outSize));
      }
      return new Tuple2<>(row, out);
    }

    /** Reads the next batch of rows and runs the model once over their inputs. */
    private void fill() {
      filled = 0;
      emitted = 0;
      int samples = 0;
      while (filled < batchSize && in.hasNext()) {
        Tuple2<Row, ModelInput> next = in.next();
        rows[filled] = next._1();
        float[] values = values(next._1(), next._2());
        floats[filled] = values;
        if (values == null) {
          sample[filled] = -1;
        } else {
          System.arraycopy(values, 0, input, samples * inSize, inSize);
          sample[filled] = samples++;
        }
        filled++;
        position++;
      }
      if (samples > 0) {
        // The forward that takes an output array wants the input exactly batch samples long.
        float[] batch = samples == batchSize ? input : Arrays.copyOf(input, samples * inSize);
        int n = samples;
        Parallel.withThreads(threads, () -> model.forward(batch, n, output));
      }
    }

    /** The row's model input, checked; null for a null input. */
    private float[] values(Row row, ModelInput in) {
      float[] values;
      if (kind == Kind.BYTES) {
        if (in.getBytes() == null) {
          return null;
        }
        try {
          values = decoder.decode(in.getBytes());
        } catch (IOException e) {
          throw new UncheckedIOException(
              describe(row) + ": column '" + inputCol + "' does not decode: " + e.getMessage(), e);
        }
        checkLength(row, values.length, "floats after decoding");
        return values;
      }
      values = in.getValues();
      if (values == null) {
        return null;
      }
      if (in.getHasNull()) {
        throw new IllegalArgumentException(
            describe(row) + ": column '" + inputCol + "' holds a null element");
      }
      checkLength(row, values.length, kind == Kind.FLOATS ? "floats" : "doubles");
      return values;
    }

    private void checkLength(Row row, int length, String what) {
      if (length != inSize) {
        throw wrongLength(describe(row), inputCol, length, what, model, inSize);
      }
    }

    /**
     * The row as a user can find it: by its id column if set, and by its place in its partition,
     * counted from 0.
     */
    private String describe(Row row) {
      String where = "row index " + position + " in partition " + partition;
      return idIndex < 0 ? where : idCol + " " + row.get(idIndex) + " (" + where + ")";
    }
  }

  /**
   * The failure for a row whose input column holds {@code length} values where {@code model} takes
   * {@code inSize}: the row, the column and both lengths, the same on every row path.
   */
  static IllegalArgumentException wrongLength(
      String row, String inputCol, int length, String what, Model model, int inSize) {
    return new IllegalArgumentException(
        row
            + ": column '"
            + inputCol
            + "' holds "
            + length
            + " "
            + what
            + ", but "
            + model.network().name()
            + " takes "
            + inSize
            + " ("
            + model.network().input()
            + ")");
  }

  /** The index of the largest of {@code length} values from {@code offset}; the first on ties. */
  static int argmax(float[] values, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (values[offset + i] > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }
}
