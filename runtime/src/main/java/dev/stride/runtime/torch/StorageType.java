package dev.stride.runtime.torch;

/** The typed storages {@code torch.save} names in a persistent id, with their element layout. */
enum StorageType {
  FLOAT("FloatStorage", "float32", 4, true),
  HALF("HalfStorage", "float16", 2, true),
  BFLOAT16("BFloat16Storage", "bfloat16", 2, true),
  DOUBLE("DoubleStorage", "float64", 8, true),
  LONG("LongStorage", "int64", 8, false),
  INT("IntStorage", "int32", 4, false),
  SHORT("ShortStorage", "int16", 2, false),
  CHAR("CharStorage", "int8", 1, false),
  BYTE("ByteStorage", "uint8", 1, false),
  BOOL("BoolStorage", "bool", 1, false);

  /** The class name in module {@code torch}, e.g. {@code FloatStorage}. */
  final String className;

  /** PyTorch's dtype name, for messages. */
  final String dtype;

  /** Bytes per element. */
  final int bytes;

  /** Whether Stride converts it to float32; the others are skipped. */
  final boolean floating;

  StorageType(String className, String dtype, int bytes, boolean floating) {
    this.className = className;
    this.dtype = dtype;
    this.bytes = bytes;
    this.floating = floating;
  }

  /** The type for {@code torch.<className>}, or null. */
  static StorageType named(String className) {
    for (StorageType t : values()) {
      if (t.className.equals(className)) {
        return t;
      }
    }
    return null;
  }
}
