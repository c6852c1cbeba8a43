package dev.stride.benchmarks;

import dev.stride.runtime.LayerDef;
import dev.stride.runtime.NetworkDef;
import dev.stride.runtime.Shape;
import java.lang.reflect.RecordComponent;
import java.util.Locale;

/**
 * A {@link NetworkDef} as JSON, every record component of every layer, so that torch_bench.py
 * builds exactly the network Stride ran rather than a copy written by hand.
 */
final class LayerTable {
  private LayerTable() {}

  /** {@code {"name": ..., "input": [...], "layers": [{"type": "Conv2d", "name": ..., ...}]}}. */
  static String json(NetworkDef network) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"name\": ").append(quote(network.name()));
    sb.append(", \"input\": ").append(dims(network.input()));
    sb.append(", \"layers\": [");
    boolean first = true;
    for (LayerDef layer : network.layers()) {
      sb.append(first ? "\n  " : ",\n  ");
      first = false;
      sb.append("{\"type\": ").append(quote(layer.getClass().getSimpleName()));
      for (RecordComponent c : layer.getClass().getRecordComponents()) {
        Object value;
        try {
          value = c.getAccessor().invoke(layer);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        sb.append(", ").append(quote(c.getName())).append(": ");
        if (value instanceof Shape s) {
          sb.append(dims(s));
        } else if (value instanceof String s) {
          sb.append(quote(s));
        } else if (value instanceof Double d) {
          sb.append(String.format(Locale.ROOT, "%s", d));
        } else {
          sb.append(value); // int, boolean
        }
      }
      sb.append('}');
    }
    return sb.append("\n]}\n").toString();
  }

  private static String dims(Shape shape) {
    StringBuilder sb = new StringBuilder("[");
    int[] d = shape.dims();
    for (int i = 0; i < d.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(d[i]);
    }
    return sb.append(']').toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
