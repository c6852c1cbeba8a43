package dev.stride.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.runtime.WeightNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The block networks (residual, branching, dense) against PyTorch: torchvision's resnet18 and
 * mobilenet_v2, d2l's ResNet-18, GoogLeNet and DenseNet, and a residual MLP. Their weights are not
 * committed: each test writes {@link FormulaWeights} into a safetensors file under the state_dict's
 * own names (torchvision's, for the torchvision networks) and loads it as a user would, through
 * {@code load(Path, WeightNames)}. References: {@code tools/make_block_reference.py}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockParityTest {
  /** A generated model class, adapted; {@code rules} map field keys to the file's keys. */
  record Case(
      String name,
      long parameterCount,
      long multiplyAdds,
      Supplier<String> summary,
      String[][] rules,
      NamedLoader loader,
      Net.Loader plainLoader) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A {@code static <Spec>Model load(Path, WeightNames) throws IOException}, adapted. */
  interface NamedLoader {
    Net load(Path path, WeightNames names) throws IOException;
  }

  static Stream<Case> networks() {
    return Stream.of(
        new Case(
            "ResidualMlp",
            ResidualMlpModel.PARAMETER_COUNT,
            ResidualMlpModel.MULTIPLY_ADDS,
            ResidualMlpModel::summary,
            new String[0][],
            (path, names) -> net(ResidualMlpModel.load(path, names)),
            path -> net(ResidualMlpModel.load(path))),
        new Case(
            "D2lResNet18",
            dev.stride.example.ResNet18Model.PARAMETER_COUNT,
            dev.stride.example.ResNet18Model.MULTIPLY_ADDS,
            dev.stride.example.ResNet18Model::summary,
            new String[0][],
            (path, names) -> net(dev.stride.example.ResNet18Model.load(path, names)),
            path -> net(dev.stride.example.ResNet18Model.load(path))),
        new Case(
            "D2lGoogLeNet",
            D2lGoogLeNetModel.PARAMETER_COUNT,
            D2lGoogLeNetModel.MULTIPLY_ADDS,
            D2lGoogLeNetModel::summary,
            new String[0][],
            (path, names) -> net(D2lGoogLeNetModel.load(path, names)),
            path -> net(D2lGoogLeNetModel.load(path))),
        new Case(
            "D2lDenseNet",
            D2lDenseNetModel.PARAMETER_COUNT,
            D2lDenseNetModel.MULTIPLY_ADDS,
            D2lDenseNetModel::summary,
            new String[0][],
            (path, names) -> net(D2lDenseNetModel.load(path, names)),
            path -> net(D2lDenseNetModel.load(path))),
        new Case(
            "ResNet18",
            ResNet18Model.PARAMETER_COUNT,
            ResNet18Model.MULTIPLY_ADDS,
            ResNet18Model::summary,
            TorchvisionNames.RESNET,
            (path, names) -> net(ResNet18Model.load(path, names)),
            path -> net(ResNet18Model.load(path))),
        new Case(
            "MobileNetV2",
            MobileNetV2Model.PARAMETER_COUNT,
            MobileNetV2Model.MULTIPLY_ADDS,
            MobileNetV2Model::summary,
            TorchvisionNames.MOBILENET_V2,
            (path, names) -> net(MobileNetV2Model.load(path, names)),
            path -> net(MobileNetV2Model.load(path))));
  }

  private static Net net(ResidualMlpModel m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private static Net net(dev.stride.example.ResNet18Model m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private static Net net(D2lGoogLeNetModel m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private static Net net(D2lDenseNetModel m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private static Net net(ResNet18Model m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private static Net net(MobileNetV2Model m) {
    return Net.of(m::forward, m::forward, m::save);
  }

  private Path dir;
  private final Map<String, Path> files = new ConcurrentHashMap<>();
  private final Map<String, Net> loaded = new ConcurrentHashMap<>();

  @BeforeAll
  void makeDirectory() throws IOException {
    dir = Files.createTempDirectory("stride-block-parity");
  }

  @AfterAll
  void deleteFiles() throws IOException {
    for (Path p : files.values()) {
      Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
  }

  /** The formula weights under the reference's state_dict names: what PyTorch ran. */
  private Path weightsFile(Case c) {
    return files.computeIfAbsent(
        c.name(),
        name -> {
          Reference ref = Reference.loadFormula(name);
          try {
            return FormulaWeights.write(
                dir.resolve(name + ".safetensors"), ref.manifest(), ref.weightGain());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private Net load(Case c) {
    return loaded.computeIfAbsent(
        c.name(),
        name -> {
          try {
            return c.loader().load(weightsFile(c), TorchvisionNames.names(c.rules()));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void batchMatchesPyTorch(Case c) {
    Reference ref = Reference.loadFormula(c.name());
    float[] out = load(c).forward(ref.input, ref.batch);
    ref.assertMatches("forward(input, " + ref.batch + ")", ref.output, out);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void eachSampleAloneMatchesPyTorch(Case c) {
    Reference ref = Reference.loadFormula(c.name());
    Net net = load(c);
    for (int n = 0; n < ref.batch; n++) {
      ref.assertMatches(
          "forward(sample " + n + ")", ref.outputSample(n), net.forward(ref.inputSample(n)));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void parameterCountIsPyTorchs(Case c) {
    Reference ref = Reference.loadFormula(c.name());
    assertEquals(ref.parameterCount(), c.parameterCount(), c.name() + ".PARAMETER_COUNT");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void multiplyAddsCountConvolutionsAndLinearLayers(Case c) {
    ParityTest.assertMultiplyAdds(Reference.loadFormula(c.name()), c.multiplyAdds());
  }

  /**
   * Every convolution, batch norm and linear layer PyTorch ran has a summary row, named by its
   * field path, that shows PyTorch's output shape; the parameter total appears. A row's path maps
   * to PyTorch's module name through the same rules the weights are loaded with.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void summaryShowsPyTorchsShapes(Case c) {
    Reference ref = Reference.loadFormula(c.name());
    String summary = c.summary().get();
    Map<String, String> rowOf = new LinkedHashMap<>();
    for (String line : summary.lines().toList()) {
      for (String token : line.trim().split("[\\s|]+")) {
        if (!token.matches("[A-Za-z_][\\w.]*")) {
          continue;
        }
        String key = TorchvisionNames.fileKey(c.rules(), token + ".weight");
        String module = key.substring(0, key.length() - ".weight".length());
        if (ref.modules().contains(module) && !rowOf.containsKey(module)) {
          rowOf.put(module, line);
        }
      }
    }
    List<String> missing = new ArrayList<>(ref.modules());
    missing.removeAll(rowOf.keySet());
    if (!missing.isEmpty()) {
      fail(c.name() + ": no summary row for PyTorch's " + missing + " in\n" + summary);
    }
    for (String module : ref.modules()) {
      String shape = ref.properties.getProperty("shape." + module);
      assertTrue(
          rowOf.get(module).contains(shape),
          c.name()
              + ": the row of "
              + module
              + " should show "
              + shape
              + ":\n"
              + rowOf.get(module));
    }
    long params = ref.parameterCount();
    assertTrue(
        summary.contains(String.format(java.util.Locale.ROOT, "%,d", params))
            || summary.contains(Long.toString(params)),
        c.name() + ": the summary should give the total " + params + ":\n" + summary);
  }

  /** save() writes Stride's own names; load(Path) reads them back to the same outputs. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void saveAndLoadGiveTheSameOutputs(Case c, @TempDir Path tmp) throws IOException {
    Reference ref = Reference.loadFormula(c.name());
    Net net = load(c);
    Path saved = tmp.resolve("saved.safetensors");
    net.save(saved);
    Net again = c.plainLoader().load(saved);
    ref.assertIdentical(
        "after save and load",
        net.forward(ref.input, ref.batch),
        again.forward(ref.input, ref.batch));
  }

  /**
   * forward is thread-safe: a graph's branch and merge buffers must not be shared between calls.
   * The two small networks only (8 tasks x 10 passes of ResNet-18 would take minutes with scalar
   * kernels); between them they merge by Add and by Concat, with and without a shortcut layer.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("smallNetworks")
  void concurrentForwardsGiveTheSequentialResult(Case c) throws Exception {
    Reference ref = Reference.loadFormula(c.name());
    Net net = load(c);
    float[] expected = net.forward(ref.input, ref.batch);
    float[][] samples = new float[ref.batch][];
    for (int n = 0; n < ref.batch; n++) {
      samples[n] = net.forward(ref.inputSample(n));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int task = t;
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 10; i++) {
                    int n = (task + i) % ref.batch;
                    if (!Arrays.equals(samples[n], net.forward(ref.inputSample(n)))) {
                      return "task " + task + " pass " + i + ": sample " + n + " differs";
                    }
                    if (!Arrays.equals(expected, net.forward(ref.input, ref.batch))) {
                      return "task " + task + " pass " + i + ": the batch differs";
                    }
                  }
                  return null;
                }));
      }
      for (Future<String> result : results) {
        String problem = result.get();
        if (problem != null) {
          fail(c.name() + ": concurrent forward " + problem);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static Stream<Case> smallNetworks() {
    return networks().filter(c -> c.name().equals("ResidualMlp") || c.name().equals("D2lDenseNet"));
  }

  /** A wrong input length is an IllegalArgumentException that gives the expected length. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void wrongInputLengthIsRejectedWithTheExpectedLength(Case c) {
    Reference ref = Reference.loadFormula(c.name());
    Net net = load(c);
    int size = ref.inputSize;
    for (int wrong : new int[] {size - 1, size + 1}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> net.forward(new float[wrong]));
      ParityTest.assertMentions(e, size);
    }
  }

  static Stream<Case> torchvisionNetworks() {
    return networks().filter(c -> c.rules().length > 0);
  }

  /**
   * torchvision's state_dict order is the specs' forward order, so its file also loads by position
   * alone, with no rules (the formula file keeps the state_dict's order, as torch.save does).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("torchvisionNetworks")
  void torchvisionFilesAlsoLoadInOrder(Case c) throws IOException {
    Reference ref = Reference.loadFormula(c.name());
    Net net = c.loader().load(weightsFile(c), WeightNames.inOrder());
    ref.assertMatches(
        "forward(input, " + ref.batch + ")", ref.output, net.forward(ref.input, ref.batch));
  }

  /** Without the rules, torchvision's file does not fit, and the error names a tensor. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("torchvisionNetworks")
  void torchvisionNamesNeedTheirRules(Case c) {
    Path file = weightsFile(c);
    IOException e = assertThrows(IOException.class, () -> c.plainLoader().load(file));
    String message = String.valueOf(e.getMessage());
    assertTrue(
        message.contains("downsample") || message.contains("features.") || message.contains("b1."),
        c.name() + ": the message should name a tensor: " + message);
  }
}
