package dev.stride.spark.internal;

import java.io.Serializable;

/** One row's results as Spark's bean encoder takes them, primitive arrays stored in one copy. */
public final class ModelOutput implements Serializable {
  private static final long serialVersionUID = 1L;

  private float[] input;
  private float[] logits;
  private Integer prediction;

  /** For the encoder. */
  public ModelOutput() {}

  /** The input floats, passed through when the input column holds floats. */
  public float[] getInput() {
    return input;
  }

  /** Sets {@link #getInput}. */
  public void setInput(float[] input) {
    this.input = input;
  }

  /** The model's outputs, or null for a null input. */
  public float[] getLogits() {
    return logits;
  }

  /** Sets {@link #getLogits}. */
  public void setLogits(float[] logits) {
    this.logits = logits;
  }

  /** The arg-max class, or null for a null input. */
  public Integer getPrediction() {
    return prediction;
  }

  /** Sets {@link #getPrediction}. */
  public void setPrediction(Integer prediction) {
    this.prediction = prediction;
  }
}
