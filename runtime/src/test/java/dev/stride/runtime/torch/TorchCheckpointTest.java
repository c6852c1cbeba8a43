package dev.stride.runtime.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.runtime.Tensor;
import dev.stride.runtime.WeightsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TorchCheckpoint against files PyTorch 1.13 wrote (tools/make_torch_fixtures.py) and pickles
 * written by hand. Values must equal PyTorch's exactly: every comparison is of float32 bits.
 */
class TorchCheckpointTest {
  @TempDir Path tmp;

  static Stream<Fixtures.Expected> expected() {
    return Fixtures.expected().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("expected")
  void valuesEqualPyTorchsBitForBit(Fixtures.Expected e) throws IOException {
    Tensor t = TorchCheckpoint.read(Fixtures.torch(e.file())).get(e.key());
    assertNotNull(t, e.key() + " missing");
    assertArrayEquals(e.shape(), t.shape(), "shape of " + e);
    int[] bits = new int[t.size()];
    for (int i = 0; i < bits.length; i++) {
      bits[i] = Float.floatToRawIntBits(t.data()[i]);
    }
    assertArrayEquals(e.bits(), bits, "float32 bits of " + e);
  }

  @Test
  void expectedFileCoversEveryDtypeAndView() {
    List<String> keys = Fixtures.expected().stream().map(Fixtures.Expected::toString).toList();
    for (String k :
        List.of(
            "dtypes.pt f16",
            "dtypes.pt bf16",
            "dtypes.pt f64",
            "views.pt transposed",
            "views.pt slice",
            "views.pt block",
            "views.pt expanded",
            "sequential.pt features.1.running_var")) {
      assertTrue(keys.contains(k), k);
    }
  }

  @Test
  void keepsTheStateDictsOrder() throws IOException {
    assertEquals(
        List.of("f32", "f16", "bf16", "f64", "scalar", "empty"),
        List.copyOf(TorchCheckpoint.read(Fixtures.torch("dtypes.pt")).keySet()));
  }

  @Test
  void skipsNumBatchesTrackedAndSaysSo() throws IOException {
    TorchCheckpoint c = TorchCheckpoint.load(Fixtures.torch("sequential.pt"));
    assertEquals(Map.of("features.1.num_batches_tracked", "int64 tensor"), c.skipped());
    assertEquals(
        List.of(
            "features.0.weight",
            "features.0.bias",
            "features.1.weight",
            "features.1.bias",
            "features.1.running_mean",
            "features.1.running_var",
            "features.5.weight",
            "features.5.bias"),
        List.copyOf(c.tensors().keySet()));
    assertEquals(
        Map.of("num_batches_tracked", "int64 tensor"),
        TorchCheckpoint.load(Fixtures.torch("batchnorm.pt")).skipped());
  }

  @Test
  void protocol4ReadsTheSameAsProtocol2() throws IOException {
    assertEquals(
        TorchCheckpoint.read(Fixtures.torch("sequential.pt")),
        TorchCheckpoint.read(Fixtures.torch("sequential-p4.pt")));
  }

  @Test
  void viewsOfOneStorageAreCopiesNotAliases() throws IOException {
    Map<String, Tensor> t = TorchCheckpoint.read(Fixtures.torch("views.pt"));
    t.get("whole").data()[6] = 1000f;
    assertEquals(0f, t.get("rows").data()[0]);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      quoteCharacter = '"',
      value = {
        "evil-os-system.pt, refusing to load global 'posix.system' from data.pkl",
        // Protocol 2 writes Python 3's builtins under their Python 2 name.
        "evil-eval.pt, refusing to load global '__builtin__.eval' from data.pkl",
        "evil-stack-global.pt, refusing to load global 'posix.system' from data.pkl",
        "evil-stack-global-eval.pt, refusing to load global 'builtins.eval' from data.pkl",
        "evil-inst.pt, refusing to load global 'os.system' from data.pkl",
        "evil-call-storage.pt, refusing to call 'torch.FloatStorage'",
      })
  void refusesForbiddenGlobalsNamingThem(String file, String message) {
    IOException e =
        assertThrows(IOException.class, () -> TorchCheckpoint.read(Fixtures.torch(file)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains(file), "names the file: " + e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "bad-size.pt | tensor 'too_big' (size [5], stride [1], offset 0) reaches storage element 4,"
            + " but storage '0' holds 4 values",
        "bad-offset.pt | tensor 'shifted'",
        "bad-stride.pt | tensor 'strided' (size [2, 2], stride [3, 1], offset 0) reaches storage"
            + " element 4",
        "bad-overflow.pt | tensor 'huge' has size [1099511627776, 1099511627776], which overflows",
        "bad-negative-stride.pt | tensor 'neg' has size [2] and stride [-1]",
        "bad-rank.pt | tensor 'rank' has size [2, 2] but stride [1]",
        "bad-missing-storage.pt | tensor 'orphan' needs storage 'archive/data/0', which is not in"
            + " the archive",
        "bad-short-storage.pt | tensor 'short': storage 'archive/data/0' of 1099511627776 float32"
            + " values is larger than Stride can load",
        "bad-big-endian.pt | byteorder is 'big'",
        "bad-not-a-dict.pt | data.pkl holds a list, not a state_dict",
        "bad-no-data-pkl.pt | no <archive>/data.pkl",
        "bad-truncated.pt | not a torch.save zip archive",
        "legacy.pt | legacy format (PyTorch before 1.6",
      })
  void refusesMalformedFilesSayingWhy(String file, String message) {
    IOException e =
        assertThrows(IOException.class, () -> TorchCheckpoint.read(Fixtures.torch(file)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void legacyMessageSaysHowToResave() {
    IOException e =
        assertThrows(IOException.class, () -> WeightsFile.read(Fixtures.torch("legacy.pt")));
    assertTrue(e.getMessage().contains("re-save it with PyTorch 1.6 or newer"), e.getMessage());
    assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
  }

  /** A state_dict {w: float32 [1, 2]} as torch.save writes it, opcode by opcode. */
  private static final String VALID =
      "\\x80\\x02}(X\\x01\\x00\\x00\\x00wctorch._utils\\n_rebuild_tensor_v2\\n"
          + "((X\\x07\\x00\\x00\\x00storagectorch\\nFloatStorage\\nX\\x01\\x00\\x00\\x000"
          + "X\\x03\\x00\\x00\\x00cpuK\\x02tQK\\x00K\\x02\\x85K\\x01\\x85\\x89"
          + "ccollections\\nOrderedDict\\n)RtRu.";

  private static final String ONE_TWO = "0000803f00000040";

  private Path write(byte[] bytes) throws IOException {
    return Files.write(Files.createTempFile(tmp, "t", ".pt"), bytes);
  }

  @Test
  void handWrittenPickleReads() throws IOException {
    Path p = write(Fixtures.zip(Fixtures.pickle(VALID), "0", ONE_TWO));
    Tensor w = TorchCheckpoint.read(p).get("w");
    assertArrayEquals(new float[] {1f, 2f}, w.data());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        // A string claiming 2 GiB in a tiny pickle: refused before any allocation.
        "\\x80\\x02X\\xff\\xff\\xff\\x7f. | pickle ends early",
        "\\x80\\x02\\x8d\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff. | a string claims",
        "\\x80\\x02h\\x05. | memo entry 5 is read before it is written",
        "\\x80\\x02\\xff. | unsupported pickle opcode 0xff",
        "\\x80\\x02. | stack underflow",
        "\\x80\\x09}. | unsupported pickle protocol 9",
        "\\x80\\x02cos | not terminated by a newline",
        "\\x80\\x02ccollections\\nOrderedDict\\n)\\x81. | refusing to construct"
            + " 'collections.OrderedDict' with NEWOBJ",
        "\\x80\\x02K\\x01K\\x02\\x93. | STACK_GLOBAL needs two strings",
        "\\x80\\x04\\x8c\\x08builtins\\x8c\\x04exec\\x93. | refusing to load global 'builtins.exec'",
        "\\x80\\x02c__builtin__\\ngetattr\\n. | refusing to load global '__builtin__.getattr'",
        "\\x80\\x02ctorch\\nload\\n. | refusing to load global 'torch.load'",
        "\\x80\\x02]}b. | BUILD is allowed only to set an OrderedDict's attributes",
        "\\x80\\x02\\x8a\\x09\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01. | an integer of 9 bytes",
        "\\x80\\x02}X\\x01\\x00\\x00\\x00a. | data.pkl holds 'a', not a state_dict",
        "\\x80\\x02}(X\\x01\\x00\\x00\\x00au. | a dict needs key-value pairs",
        "\\x80\\x02}(]K\\x01u. | unsupported dict key a list",
        "\\x80\\x02K\\x01K\\x02a. | APPEND needs a list, found 1",
        "\\x80\\x02(X\\x07\\x00\\x00\\x00storageK\\x01tQ. | a persistent id must be",
        "\\x80\\x02(X\\x07\\x00\\x00\\x00storagectorch\\nFloatStorage\\nX\\x02\\x00\\x00\\x00..X\\x03"
            + "\\x00\\x00\\x00cpuK\\x01tQ. | storage key '..'",
        // A dict that contains itself, through the memo.
        "\\x80\\x02}q\\x00X\\x01\\x00\\x00\\x00ah\\x00s. | nested more than 16 deep",
        "\\x80\\x02X\\x02\\x00\\x00\\x00\\xc3\\x28. | not valid UTF-8",
        "\\x80\\x02ctorch._utils\\n_rebuild_tensor_v2\\n)R. | takes 6 or 7 arguments, found 0",
      })
  void refusesMalformedPickles(String pickle, String message) throws IOException {
    Path p = write(Fixtures.zip(Fixtures.pickle(pickle)));
    IOException e = assertThrows(IOException.class, () -> TorchCheckpoint.read(p));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void refusesOneStorageNamedWithTwoTypes() throws IOException {
    String second =
        VALID
            .substring(0, VALID.length() - 2)
            .concat(
                "X\\x01\\x00\\x00\\x00vctorch._utils\\n_rebuild_tensor_v2\\n"
                    + "((X\\x07\\x00\\x00\\x00storagectorch\\nHalfStorage\\nX\\x01\\x00\\x00\\x000"
                    + "X\\x03\\x00\\x00\\x00cpuK\\x04tQK\\x00K\\x02\\x85K\\x01\\x85\\x89"
                    + "ccollections\\nOrderedDict\\n)RtRu.");
    Path p = write(Fixtures.zip(Fixtures.pickle(second), "0", ONE_TWO));
    IOException e = assertThrows(IOException.class, () -> TorchCheckpoint.read(p));
    assertTrue(e.getMessage().contains("another tensor names it"), e.getMessage());
  }

  @Test
  void refusesAStorageWhoseEntryIsShorterThanItsElementCount() throws IOException {
    Path p = write(Fixtures.zip(Fixtures.pickle(VALID), "0", "0000803f"));
    IOException e = assertThrows(IOException.class, () -> TorchCheckpoint.read(p));
    assertTrue(
        e.getMessage().contains("holds 4 bytes, but its 2 float32 values need 8"), e.getMessage());
  }

  @Test
  void nonTensorValuesAndNestedDictsAreFlattenedOrSkipped() throws IOException {
    // {'epoch': 3, 'model': {w: tensor}}
    String nested =
        "\\x80\\x02}(X\\x05\\x00\\x00\\x00epochK\\x03X\\x05\\x00\\x00\\x00model"
            + VALID.substring("\\x80\\x02".length(), VALID.length() - 1)
            + "u.";
    Path p = write(Fixtures.zip(Fixtures.pickle(nested), "0", ONE_TWO));
    TorchCheckpoint c = TorchCheckpoint.load(p);
    assertEquals(List.of("model.w"), List.copyOf(c.tensors().keySet()));
    assertEquals(Map.of("epoch", "int"), c.skipped());
  }

  /**
   * Hundreds of random truncations and byte flips of valid files, many aimed at data.pkl: each must
   * load or fail with an IOException, never anything unchecked.
   */
  @Test
  void corruptionsNeverEscapeAsUncheckedExceptions() throws IOException {
    List<byte[]> bases = new ArrayList<>();
    List<long[]> pickles = new ArrayList<>(); // {start, length} of data.pkl in each file
    for (String name : List.of("dtypes.pt", "views.pt", "sequential.pt", "sequential-p4.pt")) {
      Path path = Fixtures.torch(name);
      byte[] bytes = Files.readAllBytes(path);
      bases.add(bytes);
      try (ZipFile z = new ZipFile(path.toFile())) {
        long size =
            z.stream()
                .filter(e -> e.getName().endsWith("/data.pkl"))
                .findFirst()
                .orElseThrow()
                .getSize();
        int nameLength = (bytes[26] & 0xff) | (bytes[27] & 0xff) << 8; // first local header
        int extraLength = (bytes[28] & 0xff) | (bytes[29] & 0xff) << 8;
        pickles.add(new long[] {30 + nameLength + extraLength, size});
      }
    }
    Random random = new Random(20240601);
    Path p = tmp.resolve("corrupt.pt");
    int rejected = 0;
    int rejectedByPickleReader = 0;
    int runs = 400;
    for (int run = 0; run < runs; run++) {
      int which = random.nextInt(bases.size());
      byte[] bytes = bases.get(which).clone();
      int mode = random.nextInt(3);
      if (mode == 0) {
        bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
      } else {
        long[] pkl = pickles.get(which);
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          int at =
              mode == 1
                  ? random.nextInt(bytes.length)
                  : (int) (pkl[0] + random.nextInt((int) pkl[1]));
          bytes[at] = (byte) random.nextInt(256);
        }
      }
      Files.write(p, bytes);
      try {
        WeightsFile.read(p);
      } catch (IOException expected) {
        if (expected.getMessage() == null) {
          fail(
              "run " + run + " (mode " + mode + ") threw an IOException without a message",
              expected);
        }
        rejected++;
        rejectedByPickleReader += expected.getMessage().contains("(data.pkl, byte ") ? 1 : 0;
      } catch (RuntimeException | Error e) {
        fail("run " + run + " (mode " + mode + ") threw " + e, e);
      }
    }
    assertTrue(rejected > runs / 4, "only " + rejected + " of " + runs + " corruptions rejected");
    assertFalse(rejected == runs, "every corruption rejected: flips in storages should load");
    assertTrue(
        rejectedByPickleReader > runs / 10, rejectedByPickleReader + " reached the pickle reader");
  }
}
