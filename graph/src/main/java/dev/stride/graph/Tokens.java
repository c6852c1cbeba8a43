package dev.stride.graph;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the attribute tokens of one encoded layer kind: a positional int, {@code key=value} pairs
 * ({@code k=3x3}, {@code p=1,1,1,1}, {@code g=1}, {@code eps=1.0E-5}) and bare flags ({@code bias},
 * {@code same}). Every token must be used exactly once.
 */
final class Tokens {
  private final String text;
  private final List<String> rest;

  Tokens(String text, List<String> attributes) {
    this.text = text;
    this.rest = new ArrayList<>(attributes);
  }

  IllegalArgumentException error(String problem) {
    return new IllegalArgumentException(problem + " in '" + text + "'");
  }

  /** The next token, which must not be a key or a flag: a positive int. */
  int positional(String what) {
    if (rest.isEmpty() || rest.get(0).contains("=")) {
      throw error("missing " + what);
    }
    return positive(rest.remove(0), what);
  }

  private String value(String key) {
    String prefix = key + "=";
    for (int i = 0; i < rest.size(); i++) {
      if (rest.get(i).startsWith(prefix)) {
        return rest.remove(i).substring(prefix.length());
      }
    }
    throw error("missing " + prefix);
  }

  /** {@code key=HxW}. */
  int[] pair(String key) {
    String[] parts = value(key).split("x", -1);
    if (parts.length != 2) {
      throw error(key + "= takes HxW");
    }
    return new int[] {integer(parts[0], key), integer(parts[1], key)};
  }

  /** {@code key=top,bottom,left,right}. */
  int[] sides(String key) {
    String[] parts = value(key).split(",", -1);
    if (parts.length != 4) {
      throw error(key + "= takes top,bottom,left,right");
    }
    int[] sides = new int[4];
    for (int i = 0; i < 4; i++) {
      sides[i] = integer(parts[i], key);
    }
    return sides;
  }

  /** {@code key=N}. */
  int integer(String key) {
    return integer(value(key), key);
  }

  /** {@code key=D}, a double as {@link Double#toString} writes it. */
  double real(String key) {
    String v = value(key);
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw error(key + "= takes a number, not '" + v + "'");
    }
  }

  /** Whether the bare flag is present (removing it). */
  boolean flag(String name) {
    return rest.remove(name);
  }

  /** Exactly one of two flags: true for {@code yes}. */
  boolean either(String yes, String no) {
    boolean y = flag(yes);
    boolean n = flag(no);
    if (y == n) {
      throw error("needs exactly one of " + yes + ", " + no);
    }
    return y;
  }

  /** Fails on any token left over. */
  void done() {
    if (!rest.isEmpty()) {
      throw error("unexpected " + String.join(" ", rest));
    }
  }

  private int integer(String s, String what) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw error(what + " takes ints, not '" + s + "'");
    }
  }

  private int positive(String s, String what) {
    int v = integer(s, what);
    if (v < 1) {
      throw error(what + " must be positive");
    }
    return v;
  }
}
