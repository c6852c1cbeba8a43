package dev.stride.spark;

import dev.stride.runtime.Model;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * How an executor builds a model from a local copy of the weights file: usually a generated model's
 * {@code load}, such as {@code LeNetModel::load}, or {@code path -> LeNetModel.load(path,
 * WeightNames.sequential())} for a {@code torch.save} of an {@code nn.Sequential}.
 *
 * <p>Serializable, because Spark ships it to the executors; a method reference or a lambda that
 * captures nothing is.
 *
 * @param <M> the generated model class
 */
@FunctionalInterface
public interface ModelLoader<M extends Model> extends Serializable {
  /** Builds the model from the weights at {@code weights}, a local file. */
  M load(Path weights) throws IOException;
}
