package dev.stride.benchmarks;

import dev.stride.benchmarks.onnx.OnnxExport;
import dev.stride.graph.Graph;
import dev.stride.it.MobileNetV2Model;
import dev.stride.it.ResNet18Model;
import dev.stride.it.TorchvisionNames;
import dev.stride.runtime.Model;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The block networks Compare measures: torchvision's resnet18 and mobilenet_v2 as Stride specs (the
 * integration tests' {@code dev.stride.it.ResNet18} and {@code MobileNetV2}, checked there against
 * PyTorch), exported to ONNX from their graphs; torch_bench.py runs torchvision's own models with
 * the same weights, renamed by {@link TorchvisionNames}' rules.
 */
final class BlockNetworks {
  private BlockNetworks() {}

  /** The cases compare.sh runs by default besides AlexNet's and LeNet's. */
  static final List<String> DEFAULT_CASES = List.of("ResNet18-32", "ResNet18-1", "MobileNetV2-1");

  static List<Compare.Network> networks() {
    return List.of(
        graph(
            "ResNet18",
            ResNet18Model.definition().graph(),
            ResNet18Model.INPUT_SIZE,
            ResNet18Model.MULTIPLY_ADDS,
            ResNet18Model::random,
            "resnet18",
            TorchvisionNames.RESNET),
        graph(
            "MobileNetV2",
            MobileNetV2Model.definition().graph(),
            MobileNetV2Model.INPUT_SIZE,
            MobileNetV2Model.MULTIPLY_ADDS,
            MobileNetV2Model::random,
            "mobilenet_v2",
            TorchvisionNames.MOBILENET_V2));
  }

  private static Compare.Network graph(
      String name,
      Graph graph,
      int inputSize,
      long multiplyAdds,
      LongFunction<Model> random,
      String torchvision,
      String[][] rules) {
    return new Compare.Network(
        name,
        graph.input().dims(),
        inputSize,
        multiplyAdds,
        random,
        tensors -> OnnxExport.export(graph, tensors),
        () -> json(name, torchvision, graph.input().dims(), multiplyAdds, rules));
  }

  /** What torch_bench.py reads for a torchvision network (see its docstring). */
  static String json(String name, String torchvision, int[] input, long madds, String[][] rules) {
    StringBuilder sb = new StringBuilder("{\"name\": ").append(quote(name));
    sb.append(", \"torchvision\": ").append(quote(torchvision)).append(", \"input\": [");
    for (int i = 0; i < input.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(input[i]);
    }
    sb.append("], \"multiplyAdds\": ").append(madds).append(", \"rename\": [");
    for (int i = 0; i < rules.length; i++) {
      sb.append(i == 0 ? "" : ", ")
          .append('[')
          .append(quote(rules[i][0]))
          .append(", ")
          .append(quote(rules[i][1]))
          .append(']');
    }
    return sb.append("]}\n").toString();
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
