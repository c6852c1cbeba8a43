package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The strict header parser: what it accepts and how it refuses the rest. */
class JsonTest {
  @Test
  void parsesHeaderShapedJson() throws IOException {
    Object v =
        Json.parse(
            " {\"a\\\"b\": {\"dtype\":\"F32\",\"shape\":[2, -3],\"data_offsets\":[0,8]},"
                + " \"__metadata__\":{\"k\":\"v\\u00e9\\n\\/\"}, \"t\":[true,false,null,[]], \"e\":{}}  ");
    Map<?, ?> map = (Map<?, ?>) v;
    assertEquals(List.of("a\"b", "__metadata__", "t", "e"), List.copyOf(map.keySet()));
    Map<?, ?> a = (Map<?, ?>) map.get("a\"b");
    assertEquals(List.of(2L, -3L), a.get("shape"));
    assertEquals(Map.of("k", "v\u00e9\n/"), map.get("__metadata__"));
    assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
    assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
  }

  @Test
  void rejectsMalformedInputSayingWhere() {
    String[][] cases = {
      {"{\"a\":1,\"a\":2}", "duplicate key \"a\""},
      {"{\"a\":1} x", "after the end of the JSON value at character 8"},
      {"{\"a\":1}}", "after the end"},
      {"9223372036854775808", "does not fit a 64-bit integer"},
      {"-9223372036854775809", "does not fit a 64-bit integer"},
      {"[1.5]", "not an integer"},
      {"[1e3]", "not an integer"},
      {"[01]", "leading zero"},
      {"[-]", "expected a digit"},
      {"\"a\\qb\"", "invalid escape \\q"},
      {"\"a\\u12G4\"", "invalid \\u escape"},
      {"\"a\\u12", "incomplete \\u escape"},
      {"\"abc", "unterminated string starting at character 0"},
      {"\"a\nb\"", "control character U+000A"},
      {"{\"a\":1,}", "expected a string key"},
      {"[1,]", "expected a value"},
      {"{\"a\" 1}", "expected ':'"},
      {"{\"a\":1 \"b\":2}", "expected ',' or '}'"},
      {"[1 2]", "expected ',' or ']'"},
      {"", "unexpected end of input"},
      {"{", "expected a string key"},
      {"{\"a\":", "unexpected end of input"},
      {"{a:1}", "expected a string key at character 1"},
      {"nul", "expected a value"},
      {"'a'", "unexpected ''', expected a value"},
    };
    for (String[] c : cases) {
      IOException e = assertThrows(IOException.class, () -> Json.parse(c[0]), c[0]);
      assertTrue(
          e.getMessage().contains(c[1]),
          "for " + c[0] + ": '" + e.getMessage() + "' lacks " + c[1]);
    }
  }

  @Test
  void rejectsDeepNestingWithoutStackOverflow() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    IOException e = assertThrows(IOException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nesting deeper than 64"), e.getMessage());
    String objects = "{\"a\":".repeat(65) + "1" + "}".repeat(65);
    assertThrows(IOException.class, () -> Json.parse(objects));
  }

  @Test
  void acceptsNestingUpToTheLimit() throws IOException {
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(ok);
  }
}
