package dev.stride.benchmarks.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A protobuf message being written: just the wire format's varints, fixed32 floats and
 * length-delimited fields, enough for ONNX's messages. Nested messages are written into their own
 * buffer and then copied in with their length, which is simple and fast enough for one export.
 */
final class Proto {
  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private final Buffer out = new Buffer();

  /** An int32, int64 or enum field (negative values take ten bytes, as protobuf says). */
  Proto varint(int field, long value) {
    tag(field, VARINT);
    rawVarint(value);
    return this;
  }

  /** A float field. */
  Proto fixed32(int field, float value) {
    tag(field, FIXED32);
    int bits = Float.floatToRawIntBits(value);
    for (int i = 0; i < 4; i++) {
      out.write(bits >>> (8 * i));
    }
    return this;
  }

  /** A string field, UTF-8. */
  Proto string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A bytes field. */
  Proto bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    rawVarint(value.length);
    out.write(value, 0, value.length);
    return this;
  }

  /** An embedded message field. */
  Proto message(int field, Proto value) {
    tag(field, LENGTH_DELIMITED);
    rawVarint(value.out.size());
    value.out.appendTo(out);
    return this;
  }

  /** The encoded message. */
  byte[] toByteArray() {
    return out.toByteArray();
  }

  private void tag(int field, int wireType) {
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long value) {
    long v = value;
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** Exposes the array, so a nested message is copied once without writeTo's IOException. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(256);
    }

    void appendTo(ByteArrayOutputStream target) {
      target.write(buf, 0, count);
    }
  }
}
