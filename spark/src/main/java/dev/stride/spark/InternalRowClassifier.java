package dev.stride.spark;

import dev.stride.runtime.Model;
import dev.stride.runtime.kernel.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.unsafe.Platform;

/**
 * What each task runs over its partition on the fast path: Spark's own rows in, a batch of up to
 * {@code batchSize} of them per {@code forward}, each row out unchanged with the model's outputs
 * joined on. No row is ever converted to a Java object: the input floats are copied from Spark's
 * array straight into the batch, and the logits go out as Spark's array. Everything here travels to
 * the executors, so it holds the weights' broadcast, never the weights.
 */
final class InternalRowClassifier implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final Broadcast<byte[]> weights;
  private final String fileName;
  private final ModelLoader<?> loader;
  private final String inputCol;
  private final int inputIndex;
  private final PartitionClassifier.Kind kind;
  private final boolean containsNull;
  private final ImageDecoder decoder;
  private final String idCol;
  private final int idIndex;
  private final DataType idType;
  private final boolean logits;
  private final int batchSize;

  InternalRowClassifier(
      Broadcast<byte[]> weights,
      String fileName,
      ModelLoader<?> loader,
      String inputCol,
      int inputIndex,
      PartitionClassifier.Kind kind,
      boolean containsNull,
      ImageDecoder decoder,
      String idCol,
      int idIndex,
      DataType idType,
      boolean logits,
      int batchSize) {
    this.weights = weights;
    this.fileName = fileName;
    this.loader = loader;
    this.inputCol = inputCol;
    this.inputIndex = inputIndex;
    this.kind = kind;
    this.containsNull = containsNull;
    this.decoder = decoder;
    this.idCol = idCol;
    this.idIndex = idIndex;
    this.idType = idType;
    this.logits = logits;
    this.batchSize = batchSize;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) throws IOException {
    if (!rows.hasNext()) {
      // An empty partition: no model, not even a look at the broadcast.
      return Collections.emptyIterator();
    }
    Model model = ModelCache.get(weights.id(), weights::value, fileName, loader);
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    // A task may use the cores Spark granted it (spark.task.cpus), and no more.
    int threads = task == null ? Integer.MAX_VALUE : Math.max(1, task.cpus());
    return new Batches(rows, model, partition, threads);
  }

  /** The rows of one partition, classified a batch at a time as they are read. */
  private final class Batches implements Iterator<InternalRow> {
    private final Iterator<InternalRow> in;
    private final Model model;
    private final int partition;
    private final int threads;
    private final int inSize;
    private final int outSize;

    /** The batch's rows, copied: Spark reuses the row object its iterator hands out. */
    private final InternalRow[] rows;

    /**
     * Buffers the copies reuse from batch to batch. Safe because Spark's scan of this RDD copies
     * each row it is handed before it asks for the next.
     */
    private final UnsafeRow[] buffers;

    private final GenericInternalRow outputs;
    private final JoinedRow joined = new JoinedRow();

    /** Each row's sample in the batch, or -1 for a null input (whose outputs are null). */
    private final int[] sample;

    private final float[] input;
    private final float[] output;
    private long position;
    private int filled;
    private int emitted;

    Batches(Iterator<InternalRow> in, Model model, int partition, int threads) {
      this.in = in;
      this.model = model;
      this.partition = partition;
      this.threads = threads;
      this.inSize = model.network().input().size();
      this.outSize = model.network().output().size();
      this.rows = new InternalRow[batchSize];
      this.buffers = new UnsafeRow[batchSize];
      this.outputs = new GenericInternalRow(logits ? 2 : 1);
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
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int r = emitted++;
      InternalRow row = rows[r];
      rows[r] = null;
      int s = sample[r];
      int last = logits ? 1 : 0;
      if (s < 0) {
        outputs.setNullAt(0);
        outputs.setNullAt(last);
      } else {
        if (logits) {
          outputs.update(
              0,
              UnsafeArrayData.fromPrimitiveArray(
                  output, Platform.FLOAT_ARRAY_OFFSET + 4 * s * outSize, outSize, 4));
        }
        outputs.setInt(last, PartitionClassifier.argmax(output, s * outSize, outSize));
      }
      return joined.apply(row, outputs);
    }

    /** The row, copied into this slot's buffer where it can be. */
    private InternalRow copy(InternalRow row, int slot) {
      if (row instanceof UnsafeRow unsafe) {
        if (buffers[slot] == null) {
          // A copy is backed by a byte[], as copyFrom wants.
          buffers[slot] = unsafe.copy();
        } else {
          buffers[slot].copyFrom(unsafe);
        }
        return buffers[slot];
      }
      return row.copy();
    }

    /** Reads the next batch of rows and runs the model once over their inputs. */
    private void fill() {
      filled = 0;
      emitted = 0;
      int samples = 0;
      while (filled < batchSize && in.hasNext()) {
        InternalRow row = copy(in.next(), filled);
        rows[filled] = row;
        if (row.isNullAt(inputIndex)) {
          sample[filled] = -1;
        } else {
          read(row, samples * inSize);
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

    /** Checks the row's model input and writes it to the batch from {@code offset}. */
    private void read(InternalRow row, int offset) {
      if (kind == PartitionClassifier.Kind.BYTES) {
        float[] values;
        try {
          values = decoder.decode(row.getBinary(inputIndex));
        } catch (IOException e) {
          throw new UncheckedIOException(
              describe(row) + ": column '" + inputCol + "' does not decode: " + e.getMessage(), e);
        }
        checkLength(row, values.length, "floats after decoding");
        System.arraycopy(values, 0, input, offset, inSize);
        return;
      }
      ArrayData array = row.getArray(inputIndex);
      int n = array.numElements();
      if (containsNull) {
        for (int i = 0; i < n; i++) {
          if (array.isNullAt(i)) {
            throw new IllegalArgumentException(
                describe(row) + ": column '" + inputCol + "' holds a null element");
          }
        }
      }
      if (kind == PartitionClassifier.Kind.DOUBLES) {
        checkLength(row, n, "doubles");
        for (int i = 0; i < n; i++) {
          input[offset + i] = (float) array.getDouble(i);
        }
        return;
      }
      checkLength(row, n, "floats");
      if (array instanceof UnsafeArrayData unsafe) {
        // Spark's array is a header and then the floats, packed: one memory copy.
        Platform.copyMemory(
            unsafe.getBaseObject(),
            unsafe.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n),
            input,
            Platform.FLOAT_ARRAY_OFFSET + 4L * offset,
            4L * n);
      } else {
        System.arraycopy(array.toFloatArray(), 0, input, offset, n);
      }
    }

    private void checkLength(InternalRow row, int length, String what) {
      if (length != inSize) {
        throw PartitionClassifier.wrongLength(describe(row), inputCol, length, what, model, inSize);
      }
    }

    /**
     * The row as a user can find it: by its id column if set, and by its place in its partition,
     * counted from 0.
     */
    private String describe(InternalRow row) {
      String where = "row index " + position + " in partition " + partition;
      if (idIndex < 0) {
        return where;
      }
      Object id = CatalystTypeConverters.convertToScala(row.get(idIndex, idType), idType);
      return idCol + " " + id + " (" + where + ")";
    }
  }
}
