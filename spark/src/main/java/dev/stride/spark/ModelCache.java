package dev.stride.spark;

import dev.stride.runtime.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The models this JVM has built, by the id of the broadcast that carried their weights: an executor
 * builds each model once, however many tasks and partitions it runs, and its tasks share it (a
 * generated model's {@code forward} is thread-safe).
 */
final class ModelCache {
  /** Models kept at once; the least recently used goes first, for drivers that make many. */
  static final int CAPACITY = 8;

  private static final Map<Long, Model> MODELS =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Model> eldest) {
          return size() > CAPACITY;
        }
      };

  private static int loads;

  private ModelCache() {}

  /**
   * The model for {@code key}, built by {@code loader} from {@code weights} on first use; tasks
   * asking meanwhile wait for that one build rather than start their own.
   */
  static synchronized Model get(
      long key, Supplier<byte[]> weights, String fileName, ModelLoader<?> loader)
      throws IOException {
    Model model = MODELS.get(key);
    if (model == null) {
      model = load(weights.get(), fileName, loader);
      MODELS.put(key, model);
    }
    return model;
  }

  /** Records a model already built (the driver's, which local mode's tasks then share). */
  static synchronized void put(long key, Model model) {
    MODELS.put(key, model);
  }

  /** How many models this JVM has built from weights so far. */
  static synchronized int loads() {
    return loads;
  }

  /**
   * Builds a model from weights held in memory: the loaders read files, so the bytes go to a
   * temporary file, named like the original, which is deleted once read.
   */
  static Model load(byte[] weights, String fileName, ModelLoader<?> loader) throws IOException {
    Path file = Files.createTempFile("stride-", "-" + fileName);
    try {
      Files.write(file, weights);
      Model model = loader.load(file);
      if (model == null) {
        throw new IOException("the model loader returned null for " + fileName);
      }
      synchronized (ModelCache.class) {
        loads++;
      }
      return model;
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
