package dev.stride.spark.internal;

import java.io.Serializable;

/**
 * One row's model input as Spark's bean encoder hands it over: floats as a primitive array, which
 * Spark copies in one piece, where a {@code Row} would box every element.
 */
public final class ModelInput implements Serializable {
  private static final long serialVersionUID = 1L;

  private float[] values;
  private byte[] bytes;
  private boolean hasNull;

  /** For the encoder. */
  public ModelInput() {}

  /** The floats of a numeric input column, null for a binary column or a null input. */
  public float[] getValues() {
    return values;
  }

  /** Sets {@link #getValues}. */
  public void setValues(float[] values) {
    this.values = values;
  }

  /** The bytes of a binary input column, null for a numeric column or a null input. */
  public byte[] getBytes() {
    return bytes;
  }

  /** Sets {@link #getBytes}. */
  public void setBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Whether the input array held a null element (which {@link #getValues} holds as 0). */
  public boolean getHasNull() {
    return hasNull;
  }

  /** Sets {@link #getHasNull}. */
  public void setHasNull(boolean hasNull) {
    this.hasNull = hasNull;
  }
}
