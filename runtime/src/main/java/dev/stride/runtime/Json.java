package dev.stride.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser for safetensors headers: objects (as insertion-ordered maps), arrays
 * (lists), strings and integers (as {@link Long}); also {@code true}, {@code false} and {@code
 * null}, which headers do not use but are valid JSON.
 *
 * <p>Strict where laxness could hide a broken file: duplicate keys, fractions and exponents,
 * integers that overflow a {@code long}, control characters in strings, nesting deeper than {@link
 * #MAX_DEPTH} and anything after the value but whitespace are errors. Every error is an {@link
 * IOException} that says what was expected and where.
 */
final class Json {
  /**
   * Safetensors headers nest three deep; the limit keeps hostile input from exhausting the stack.
   */
  static final int MAX_DEPTH = 64;

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value that makes up all of {@code text}, surrounding whitespace aside. */
  static Object parse(String text) throws IOException {
    Json json = new Json(text);
    json.skipWhitespace();
    Object value = json.value(0);
    json.skipWhitespace();
    if (json.pos < text.length()) {
      throw json.error("unexpected " + json.describeHere() + " after the end of the JSON value");
    }
    return value;
  }

  private Object value(int depth) throws IOException {
    if (pos >= text.length()) {
      throw error("unexpected end of input, expected a value");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return integer();
        }
        throw error("unexpected " + describeHere() + ", expected a value");
    }
  }

  private Map<String, Object> object(int depth) throws IOException {
    checkDepth(depth);
    pos++; // '{'
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("unexpected " + describeHere() + ", expected a string key");
      }
      int keyAt = pos;
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      Object value = value(depth);
      if (map.containsKey(key)) {
        throw new IOException("duplicate key \"" + key + "\" at character " + keyAt);
      }
      map.put(key, value);
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return map;
      } else {
        throw error("unexpected " + describeHere() + ", expected ',' or '}'");
      }
    }
  }

  private List<Object> array(int depth) throws IOException {
    checkDepth(depth);
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      char c = peek();
      if (c == ',') {
        pos++;
      } else if (c == ']') {
        pos++;
        return Collections.unmodifiableList(list);
      } else {
        throw error("unexpected " + describeHere() + ", expected ',' or ']'");
      }
    }
  }

  private void checkDepth(int depth) throws IOException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private String string() throws IOException {
    int start = pos;
    pos++; // '"'
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new IOException("unterminated string starting at character " + start);
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return sb.toString();
      }
      if (c < 0x20) {
        pos--;
        throw error("control character U+" + hex4(c) + " inside a string (escape it)");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= text.length()) {
        throw new IOException("unterminated string starting at character " + start);
      }
      char e = text.charAt(pos++);
      switch (e) {
        case '"':
        case '\\':
        case '/':
          sb.append(e);
          break;
        case 'b':
          sb.append('\b');
          break;
        case 'f':
          sb.append('\f');
          break;
        case 'n':
          sb.append('\n');
          break;
        case 'r':
          sb.append('\r');
          break;
        case 't':
          sb.append('\t');
          break;
        case 'u':
          sb.append(unicodeEscape());
          break;
        default:
          pos -= 2;
          throw error("invalid escape \\" + printable(e) + " in a string");
      }
    }
  }

  private char unicodeEscape() throws IOException {
    if (pos + 4 > text.length()) {
      pos -= 2;
      throw error("incomplete \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos + i), 16);
      if (d < 0 || text.charAt(pos + i) > 'f') { // Character.digit also accepts non-ASCII digits
        pos -= 2;
        throw error("invalid \\u escape, expected four hex digits");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return (char) v;
  }

  private Long integer() throws IOException {
    int start = pos;
    boolean negative = false;
    if (text.charAt(pos) == '-') {
      negative = true;
      pos++;
    }
    int digitsStart = pos;
    // Accumulate negatively so that Long.MIN_VALUE parses too.
    long value = 0;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
      int d = text.charAt(pos) - '0';
      if (value < (Long.MIN_VALUE + d) / 10) {
        throw new IOException("number at character " + start + " does not fit a 64-bit integer");
      }
      value = value * 10 - d;
      pos++;
    }
    int digits = pos - digitsStart;
    if (digits == 0) {
      throw error("expected a digit");
    }
    if (digits > 1 && text.charAt(digitsStart) == '0') {
      throw new IOException("number at character " + start + " has a leading zero");
    }
    if (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '.' || c == 'e' || c == 'E') {
        throw new IOException(
            "number at character "
                + start
                + " is not an integer; safetensors headers use integers");
      }
    }
    if (!negative && value == Long.MIN_VALUE) {
      throw new IOException("number at character " + start + " does not fit a 64-bit integer");
    }
    return negative ? value : -value;
  }

  private Object literal(String word, Object value) throws IOException {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected " + describeHere() + ", expected a value");
    }
    pos += word.length();
    return value;
  }

  private void expect(char c) throws IOException {
    if (peek() != c) {
      throw error("unexpected " + describeHere() + ", expected '" + c + "'");
    }
    pos++;
  }

  /** The character at the cursor, or U+0000 at the end (never valid where it is checked). */
  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private String describeHere() {
    return pos >= text.length() ? "end of input" : "'" + printable(text.charAt(pos)) + "'";
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : "U+" + hex4(c);
  }

  private static String hex4(char c) {
    return String.format("%04X", (int) c);
  }

  private IOException error(String message) {
    return new IOException(message + " at character " + pos);
  }
}
