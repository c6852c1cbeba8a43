package dev.stride.runtime.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that builds only what {@code torch.save(model.state_dict(), path)} writes: dicts
 * and {@code collections.OrderedDict}s, tuples, lists, strings, numbers, and tensors rebuilt by
 * {@code torch._utils._rebuild_tensor_v2} from the storages named by persistent ids.
 *
 * <p>It interprets the opcodes itself and never runs or constructs anything else: a global outside
 * a short allow-list is refused where it is named (GLOBAL, STACK_GLOBAL, INST), and the allowed
 * ones are not Java classes but markers this reader dispatches on. Every length is checked against
 * the bytes that remain before anything is allocated, so a hostile pickle costs at most a few times
 * its own size in memory.
 */
final class StateDictUnpickler {
  /** Python's {@code None}; the reader's values are never Java null. */
  enum None {
    NONE
  }

  /** A module-level name the pickle refers to; only allowed ones are ever created. */
  record Global(String module, String name) {
    String qualified() {
      return module + "." + name;
    }
  }

  /** An immutable Python tuple. */
  record Tuple(List<Object> items) {}

  /** A mutable Python list; identity semantics, as in Python. */
  static final class PyList {
    final List<Object> items = new ArrayList<>();
  }

  /** A Python dict or OrderedDict, in insertion order (which dicts keep since Python 3.7). */
  static final class PyDict {
    final Map<Object, Object> items = new LinkedHashMap<>();
  }

  /**
   * A storage named by a persistent id: {@code ('storage', torch.FloatStorage, key, location,
   * numel)}.
   */
  record StorageRef(StorageType type, String key, long numel) {}

  /** A tensor as {@code _rebuild_tensor_v2} describes it, not yet checked against its storage. */
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  static final String COLLECTIONS = "collections";
  static final String UTILS = "torch._utils";
  private static final Set<String> CALLABLE =
      Set.of(
          COLLECTIONS + ".OrderedDict",
          UTILS + "._rebuild_tensor_v2",
          UTILS + "._rebuild_tensor",
          UTILS + "._rebuild_parameter");
  private static final int MAX_DIMS = 64;

  private final byte[] data;
  private final String source;
  private int pos;
  private final List<Object> stack = new ArrayList<>();
  private final Deque<Integer> marks = new ArrayDeque<>();
  private final Map<Long, Object> memo = new HashMap<>();

  private StateDictUnpickler(byte[] data, String source) {
    this.data = data;
    this.source = source;
  }

  /**
   * Reads one pickle.
   *
   * @param source how messages name the pickle, e.g. {@code data.pkl}
   * @throws IOException if the pickle is malformed or names anything outside the allow-list
   */
  static Object load(byte[] data, String source) throws IOException {
    return new StateDictUnpickler(data, source).run();
  }

  /** The message for a refused global; tests and callers rely on it naming the global. */
  static String refusal(String qualified, String source) {
    return "refusing to load global '"
        + qualified
        + "' from "
        + source
        + ": only state_dict contents (tensors, OrderedDict) are allowed"
        + wholeModelHint(qualified);
  }

  /**
   * For a class, which is what torch.save(model) pickles (torch.nn.modules..., __main__.Net), how
   * to save what Stride reads instead; nothing for a function such as posix.system.
   */
  static String wholeModelHint(String qualified) {
    String name = qualified.substring(qualified.lastIndexOf('.') + 1);
    boolean isClass = !name.isEmpty() && Character.isUpperCase(name.charAt(0));
    if (!isClass && !qualified.startsWith("torch.nn.")) {
      return "";
    }
    return ". If this file is a whole model saved with torch.save(model), save its state_dict"
        + " instead: torch.save(model.state_dict(), path)";
  }

  private Object run() throws IOException {
    while (true) {
      int at = pos;
      int op = u8();
      switch (op) {
        case 0x80 -> { // PROTO
          int protocol = u8();
          if (protocol < 2 || protocol > 5) {
            throw fail(at, "unsupported pickle protocol " + protocol);
          }
        }
        case 0x95 -> skip(8); // FRAME: a length hint; the whole pickle is in memory already
        case '.' -> { // STOP
          return pop(at);
        }
        case '(' -> marks.push(stack.size()); // MARK
        case '0' -> { // POP
          if (!marks.isEmpty() && marks.peek() == stack.size()) {
            marks.pop();
          } else {
            pop(at);
          }
        }
        case '1' -> popMark(at); // POP_MARK
        case '2' -> push(peek(at)); // DUP
        case 'N' -> push(None.NONE);
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 'J' -> push((long) (int) littleEndian(4)); // BININT, signed
        case 'K' -> push((long) u8()); // BININT1
        case 'M' -> push(littleEndian(2)); // BININT2, unsigned
        case 0x8a -> push(long1(at)); // LONG1
        case 'G' -> push(Double.longBitsToDouble(bigEndianLong())); // BINFLOAT
        case 'X' -> push(utf8(at, littleEndian(4))); // BINUNICODE
        case 0x8c -> push(utf8(at, u8())); // SHORT_BINUNICODE
        case 0x8d -> push(utf8(at, littleEndian(8))); // BINUNICODE8
        case ')' -> push(new Tuple(List.of()));
        case 0x85 -> push(tuple(pop(at)));
        case 0x86 -> {
          Object b = pop(at);
          push(tuple(pop(at), b));
        }
        case 0x87 -> {
          Object c = pop(at);
          Object b = pop(at);
          push(tuple(pop(at), b, c));
        }
        case 't' -> push(tuple(popMark(at).toArray())); // TUPLE
        case ']' -> push(new PyList()); // EMPTY_LIST
        case 'l' -> { // LIST
          PyList list = new PyList();
          list.items.addAll(popMark(at));
          push(list);
        }
        case 'a' -> { // APPEND
          Object item = pop(at);
          list(at, peek(at)).items.add(item);
        }
        case 'e' -> { // APPENDS
          List<Object> items = popMark(at);
          list(at, peek(at)).items.addAll(items);
        }
        case '}' -> push(new PyDict()); // EMPTY_DICT
        case 'd' -> { // DICT
          PyDict dict = new PyDict();
          putAll(at, dict, popMark(at));
          push(dict);
        }
        case 's' -> { // SETITEM
          Object value = pop(at);
          Object key = pop(at);
          putAll(at, dict(at, peek(at)), List.of(key, value));
        }
        case 'u' -> { // SETITEMS
          List<Object> items = popMark(at);
          putAll(at, dict(at, peek(at)), items);
        }
        case 'q' -> memo.put((long) u8(), peek(at)); // BINPUT
        case 'r' -> memo.put(littleEndian(4), peek(at)); // LONG_BINPUT
        case 0x94 -> memo.put((long) memo.size(), peek(at)); // MEMOIZE
        case 'h' -> push(memoGet(at, u8())); // BINGET
        case 'j' -> push(memoGet(at, littleEndian(4))); // LONG_BINGET
        case 'c' -> { // GLOBAL: "module\nname\n"
          String module = line(at);
          push(global(at, module, line(at)));
        }
        case 0x93 -> { // STACK_GLOBAL
          Object name = pop(at);
          Object module = pop(at);
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw fail(
                at,
                "STACK_GLOBAL needs two strings, found "
                    + describe(module)
                    + " and "
                    + describe(name));
          }
          push(global(at, m, n));
        }
        case 'i' -> { // INST: names a class inline and calls it
          String module = line(at);
          throw fail(at, refusal(module + "." + line(at), source));
        }
        case 'R' -> { // REDUCE
          Object args = pop(at);
          push(call(at, pop(at), args));
        }
        case 'b' -> { // BUILD
          Object state = pop(at);
          build(at, peek(at), state);
        }
        case 'Q' -> push(persistentLoad(at, pop(at))); // BINPERSID
        case 'o' -> { // OBJ: class and arguments after the mark
          List<Object> items = popMark(at);
          throw fail(at, construction("OBJ", items.isEmpty() ? null : items.get(0)));
        }
        case 0x81 -> { // NEWOBJ: cls, args
          pop(at);
          throw fail(at, construction("NEWOBJ", pop(at)));
        }
        case 0x92 -> { // NEWOBJ_EX: cls, args, kwargs
          pop(at);
          pop(at);
          throw fail(at, construction("NEWOBJ_EX", pop(at)));
        }
        case 0x82, 0x83, 0x84 -> throw fail(at, "refusing extension-registry globals (EXT1/2/4)");
        default ->
            throw fail(
                at,
                String.format(
                    "unsupported pickle opcode 0x%02x, which torch.save does not write for a state_dict",
                    op));
      }
    }
  }

  private Global global(int at, String module, String name) throws IOException {
    String qualified = module + "." + name;
    boolean storage = module.equals("torch") && StorageType.named(name) != null;
    if (!storage && !CALLABLE.contains(qualified)) {
      throw fail(at, refusal(qualified, source));
    }
    return new Global(module, name);
  }

  private Object call(int at, Object callable, Object args) throws IOException {
    if (!(callable instanceof Global g)) {
      throw fail(at, "REDUCE needs a global to call, found " + describe(callable));
    }
    if (!CALLABLE.contains(g.qualified())) {
      throw fail(
          at,
          "refusing to call '"
              + g.qualified()
              + "' from "
              + source
              + ": it may only appear in a storage's persistent id");
    }
    if (!(args instanceof Tuple t)) {
      throw fail(at, g.qualified() + " needs an argument tuple, found " + describe(args));
    }
    List<Object> a = t.items();
    switch (g.name()) {
      case "OrderedDict" -> {
        if (!a.isEmpty()) {
          throw fail(
              at,
              "collections.OrderedDict is called with arguments; torch.save does not"
                  + " write that");
        }
        return new PyDict();
      }
      case "_rebuild_tensor_v2" -> {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (a.size() != 6 && a.size() != 7) {
          throw fail(at, "_rebuild_tensor_v2 takes 6 or 7 arguments, found " + a.size());
        }
        return tensor(at, a);
      }
      case "_rebuild_tensor" -> { // (storage, storage_offset, size, stride), before PyTorch 1.0
        if (a.size() != 4) {
          throw fail(at, "_rebuild_tensor takes 4 arguments, found " + a.size());
        }
        return tensor(at, a);
      }
      default -> { // _rebuild_parameter(data, requires_grad, backward_hooks): the data itself
        if (a.size() != 3 || !(a.get(0) instanceof TensorRef)) {
          throw fail(at, "_rebuild_parameter needs (tensor, requires_grad, backward_hooks)");
        }
        return a.get(0);
      }
    }
  }

  private TensorRef tensor(int at, List<Object> a) throws IOException {
    if (!(a.get(0) instanceof StorageRef storage)) {
      throw fail(at, "a tensor's first argument must be a storage, found " + describe(a.get(0)));
    }
    if (!(a.get(1) instanceof Long offset)) {
      throw fail(at, "a tensor's storage offset must be an int, found " + describe(a.get(1)));
    }
    return new TensorRef(storage, offset, ints(at, "size", a.get(2)), ints(at, "stride", a.get(3)));
  }

  private long[] ints(int at, String what, Object value) throws IOException {
    if (!(value instanceof Tuple t)) {
      throw fail(at, "a tensor's " + what + " must be a tuple, found " + describe(value));
    }
    if (t.items().size() > MAX_DIMS) {
      throw fail(at, "a tensor's " + what + " has " + t.items().size() + " dimensions");
    }
    long[] out = new long[t.items().size()];
    for (int i = 0; i < out.length; i++) {
      if (!(t.items().get(i) instanceof Long v)) {
        throw fail(at, "a tensor's " + what + " holds " + describe(t.items().get(i)));
      }
      out[i] = v;
    }
    return out;
  }

  private void build(int at, Object target, Object state) throws IOException {
    // A state_dict's OrderedDict carries a `_metadata` attribute (module versions); nothing else
    // is ever built, and the metadata plays no part in the values.
    if (!(target instanceof PyDict) || !(state instanceof PyDict || state instanceof None)) {
      throw fail(
          at,
          "BUILD is allowed only to set an OrderedDict's attributes, found "
              + describe(target)
              + " with "
              + describe(state));
    }
  }

  private StorageRef persistentLoad(int at, Object pid) throws IOException {
    if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))) {
      throw fail(
          at,
          "a persistent id must be ('storage', type, key, location, numel), found "
              + describe(pid));
    }
    List<Object> p = t.items();
    if (!(p.get(1) instanceof Global g)
        || !g.module().equals("torch")
        || StorageType.named(g.name()) == null) {
      throw fail(at, "a persistent id names storage type " + describe(p.get(1)));
    }
    if (!(p.get(2) instanceof String key) || !key.matches("[A-Za-z0-9_]{1,64}")) {
      throw fail(at, "a persistent id has storage key " + describe(p.get(2)));
    }
    if (!(p.get(4) instanceof Long numel) || numel < 0) {
      throw fail(at, "storage '" + key + "' has element count " + describe(p.get(4)));
    }
    return new StorageRef(StorageType.named(g.name()), key, numel);
  }

  private static String construction(String opcode, Object cls) {
    String what = cls instanceof Global g ? "'" + g.qualified() + "'" : describe(cls);
    return "refusing to construct "
        + what
        + " with "
        + opcode
        + ": only state_dict contents (tensors, OrderedDict) are allowed"
        + (cls instanceof Global g ? wholeModelHint(g.qualified()) : "");
  }

  private void putAll(int at, PyDict dict, List<Object> items) throws IOException {
    if (items.size() % 2 != 0) {
      throw fail(at, "a dict needs key-value pairs, found " + items.size() + " items");
    }
    for (int i = 0; i < items.size(); i += 2) {
      Object key = items.get(i);
      // Only immutable, value-compared keys: a mutable one could change its hash later.
      if (!(key instanceof String || key instanceof Long || key instanceof Boolean)) {
        throw fail(at, "unsupported dict key " + describe(key));
      }
      dict.items.put(key, items.get(i + 1));
    }
  }

  private static Tuple tuple(Object... items) {
    return new Tuple(Collections.unmodifiableList(Arrays.asList(items)));
  }

  private PyList list(int at, Object o) throws IOException {
    if (o instanceof PyList l) {
      return l;
    }
    throw fail(at, "APPEND needs a list, found " + describe(o));
  }

  private PyDict dict(int at, Object o) throws IOException {
    if (o instanceof PyDict d) {
      return d;
    }
    throw fail(at, "SETITEM needs a dict, found " + describe(o));
  }

  private Object memoGet(int at, long index) throws IOException {
    Object value = memo.get(index);
    if (value == null) {
      throw fail(at, "memo entry " + index + " is read before it is written");
    }
    return value;
  }

  private void push(Object o) {
    stack.add(o);
  }

  private Object peek(int at) throws IOException {
    int floor = marks.isEmpty() ? 0 : marks.peek();
    if (stack.size() <= floor) {
      throw fail(at, "stack underflow");
    }
    return stack.get(stack.size() - 1);
  }

  private Object pop(int at) throws IOException {
    Object top = peek(at);
    stack.remove(stack.size() - 1);
    return top;
  }

  private List<Object> popMark(int at) throws IOException {
    if (marks.isEmpty()) {
      throw fail(at, "no MARK to pop to");
    }
    int mark = marks.pop();
    List<Object> sub = new ArrayList<>(stack.subList(mark, stack.size()));
    stack.subList(mark, stack.size()).clear();
    return sub;
  }

  private int u8() throws IOException {
    need(1);
    return data[pos++] & 0xff;
  }

  private void need(long n) throws IOException {
    if (n > data.length - pos) {
      throw fail(
          pos, "pickle ends early (needs " + n + " more bytes, has " + (data.length - pos) + ")");
    }
  }

  private void skip(int n) throws IOException {
    need(n);
    pos += n;
  }

  /** An unsigned little-endian integer of {@code n <= 8} bytes (8 bytes may come out negative). */
  private long littleEndian(int n) throws IOException {
    need(n);
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | (data[pos + i] & 0xff);
    }
    pos += n;
    return v;
  }

  private long bigEndianLong() throws IOException {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (data[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  /** LONG1: a two's-complement little-endian integer of up to 8 bytes, as Python writes ints. */
  private long long1(int at) throws IOException {
    int n = u8();
    if (n > 8) {
      throw fail(at, "an integer of " + n + " bytes is too large for a tensor size or offset");
    }
    if (n == 0) {
      return 0;
    }
    long v = littleEndian(n);
    int unused = 64 - 8 * n;
    return (v << unused) >> unused; // sign-extend
  }

  private String utf8(int at, long length) throws IOException {
    if (length < 0) {
      throw fail(at, "a string claims " + Long.toUnsignedString(length) + " bytes");
    }
    need(length); // checked before anything is allocated
    int n = (int) length;
    try {
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(data, pos, n))
              .toString();
      pos += n;
      return s;
    } catch (CharacterCodingException e) {
      throw fail(at, "a string is not valid UTF-8");
    }
  }

  /** A newline-terminated name of GLOBAL or INST, at most 256 bytes. */
  private String line(int at) throws IOException {
    int end = pos;
    while (end < data.length && end - pos <= 256 && data[end] != '\n') {
      end++;
    }
    if (end >= data.length || data[end] != '\n') {
      throw fail(at, "a global's name is not terminated by a newline");
    }
    String s = utf8(at, end - pos);
    pos++;
    return s;
  }

  static String describe(Object o) {
    if (o instanceof String s) {
      return "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
    }
    if (o instanceof Global g) {
      return "global '" + g.qualified() + "'";
    }
    if (o instanceof Long || o instanceof Double || o instanceof Boolean) {
      return o.toString();
    }
    if (o instanceof None) {
      return "None";
    }
    if (o instanceof Tuple t) {
      return "a tuple of " + t.items().size();
    }
    if (o instanceof PyList) {
      return "a list";
    }
    if (o instanceof PyDict) {
      return "a dict";
    }
    if (o instanceof StorageRef) {
      return "a storage";
    }
    if (o instanceof TensorRef) {
      return "a tensor";
    }
    return "nothing";
  }

  private IOException fail(int at, String message) {
    return new IOException(message + " (" + source + ", byte " + at + ")");
  }
}
