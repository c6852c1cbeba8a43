package dev.stride.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.stride.graph.LayerKind;
import dev.stride.runtime.kernel.Activation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every layer kind has an op, and each op offers exactly the fusions its kind allows. The compiler
 * already refuses a kind without a method in {@link Ops}; this catches one mapped to the wrong op.
 */
class OpsTest {
  /** One table text per layer kind. */
  private static final List<String> KINDS =
      List.of(
          "Conv2d 4 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias",
          "MaxPool k=2x2 s=2x2 p=0,0,0,0",
          "AvgPool k=2x2 s=2x2 p=0,0,0,0",
          "GlobalAvgPool",
          "BatchNorm eps=1.0E-5",
          "ReLU",
          "ReLU6",
          "Sigmoid",
          "Tanh",
          "Softmax",
          "Flatten",
          "Linear 10 bias",
          "Dropout p=0.5",
          "Add",
          "Concat");

  private static Map<String, Op> ops() {
    Map<String, Op> ops = new LinkedHashMap<>();
    for (String text : KINDS) {
      LayerKind kind = LayerKind.decode(text);
      ops.put(kind.type(), Ops.of(kind));
    }
    return ops;
  }

  @Test
  void everyKindHasAnOp() {
    Set<Class<?>> sampled =
        KINDS.stream().map(t -> LayerKind.decode(t).getClass()).collect(Collectors.toSet());
    assertEquals(Set.of(LayerKind.class.getPermittedSubclasses()), sampled);
    ops().forEach((type, op) -> assertNotNull(op, type));
  }

  @Test
  void opsOfferTheFusionsOfTheirKind() {
    Map<String, Activation> activations = new LinkedHashMap<>();
    Map<String, Op.Alias> aliases = new LinkedHashMap<>();
    List<String> sums = new java.util.ArrayList<>();
    List<String> joins = new java.util.ArrayList<>();
    List<String> gemms = new java.util.ArrayList<>();
    ops()
        .forEach(
            (type, op) -> {
              if (op.activation() != null) {
                activations.put(type, op.activation());
              }
              if (op.alias() != Op.Alias.NONE) {
                aliases.put(type, op.alias());
              }
              if (op.sums()) {
                sums.add(type);
              }
              if (op.joinsChannels()) {
                joins.add(type);
              }
              if (op instanceof GemmOp) {
                gemms.add(type);
              }
            });
    assertEquals(
        Map.of(
            "ReLU", Activation.RELU,
            "ReLU6", Activation.RELU6,
            "Sigmoid", Activation.SIGMOID,
            "Tanh", Activation.TANH),
        activations);
    assertEquals(Map.of("Flatten", Op.Alias.RESHAPE, "Dropout", Op.Alias.SAME), aliases);
    assertEquals(List.of("Add"), sums);
    assertEquals(List.of("Concat"), joins);
    assertEquals(List.of("Conv2d", "Linear"), gemms);
  }
}
