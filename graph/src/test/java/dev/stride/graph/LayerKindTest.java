package dev.stride.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayerKindTest {
  /** One or more instances of every kind, with awkward attribute values. */
  static List<LayerKind> samples() {
    return List.of(
        new Conv2d(96, 11, 11, 4, 4, 1, 1, 1, 1, 1, 1, 1, true, false),
        new Conv2d(16, 3, 5, 1, 2, 0, 1, 2, 3, 2, 1, 2, false, true),
        new MaxPool(3, 3, 2, 2, 1, 1, 1, 1, false),
        new MaxPool(2, 3, 1, 2, 0, 1, 0, 1, true),
        new AvgPool(2, 2, 2, 2, 0, 0, 0, 0, true, false),
        new AvgPool(3, 1, 1, 1, 1, 1, 0, 0, false, true),
        new GlobalAvgPool(),
        new BatchNorm(1e-5),
        new BatchNorm(0.001),
        new ReLU(),
        new ReLU6(),
        new Sigmoid(),
        new Tanh(),
        new Softmax(),
        new Flatten(),
        new Linear(10, true),
        new Linear(4096, false),
        new Dropout(0.5),
        new Dropout(0.0),
        new Add(),
        new Concat());
  }

  @Test
  void everyKindDecodesWhatItEncodes() {
    for (LayerKind kind : samples()) {
      assertEquals(kind, LayerKind.decode(kind.encode()), kind.encode());
      assertEquals(kind, LayerKind.decode("  " + kind.encode().replace(" ", "   ") + " "));
      assertTrue(kind.encode().startsWith(kind.type()), kind.encode());
    }
  }

  @Test
  void everyKindIsSampled() {
    assertEquals(
        LayerKind.class.getPermittedSubclasses().length,
        samples().stream().map(LayerKind::getClass).distinct().count());
  }

  /** A visitor that answers the name of the method it was called through. */
  private static final LayerKind.Visitor<String> METHOD =
      new LayerKind.Visitor<>() {
        @Override
        public String conv2d(Conv2d kind) {
          return "conv2d";
        }

        @Override
        public String maxPool(MaxPool kind) {
          return "maxPool";
        }

        @Override
        public String avgPool(AvgPool kind) {
          return "avgPool";
        }

        @Override
        public String globalAvgPool(GlobalAvgPool kind) {
          return "globalAvgPool";
        }

        @Override
        public String batchNorm(BatchNorm kind) {
          return "batchNorm";
        }

        @Override
        public String relu(ReLU kind) {
          return "relu";
        }

        @Override
        public String relu6(ReLU6 kind) {
          return "relu6";
        }

        @Override
        public String sigmoid(Sigmoid kind) {
          return "sigmoid";
        }

        @Override
        public String tanh(Tanh kind) {
          return "tanh";
        }

        @Override
        public String softmax(Softmax kind) {
          return "softmax";
        }

        @Override
        public String flatten(Flatten kind) {
          return "flatten";
        }

        @Override
        public String linear(Linear kind) {
          return "linear";
        }

        @Override
        public String dropout(Dropout kind) {
          return "dropout";
        }

        @Override
        public String add(Add kind) {
          return "add";
        }

        @Override
        public String concat(Concat kind) {
          return "concat";
        }
      };

  @Test
  void everyKindVisitsItsOwnMethod() {
    for (LayerKind kind : samples()) {
      assertTrue(kind.type().equalsIgnoreCase(kind.accept(METHOD)), kind.type());
    }
  }

  @Test
  void badTextIsRejectedWithTheProblem() {
    assertMessage("unknown layer kind 'Conv3d'", "Conv3d 4");
    assertMessage("missing k=", "Conv2d 8 s=1x1 p=0,0,0,0 d=1x1 g=1 bias");
    assertMessage("needs exactly one of bias, nobias", "Linear 10");
    assertMessage("needs exactly one of bias, nobias", "Linear 10 bias nobias");
    assertMessage("unexpected extra", "ReLU extra");
    assertMessage("k= takes HxW", "MaxPool k=3 s=1x1 p=0,0,0,0");
    assertMessage("p= takes top,bottom,left,right", "MaxPool k=3x3 s=1x1 p=0,0");
    assertMessage(
        "Conv2d stride must be positive", "Conv2d 8 k=3x3 s=0x1 p=0,0,0,0 d=1x1 g=1 bias");
    assertMessage("out features must be positive", "Linear 0 bias");
    assertMessage("eps= takes a number", "BatchNorm eps=x");
    assertThrows(IllegalArgumentException.class, () -> LayerKind.decode("Dropout p=1.0"));
  }

  private static void assertMessage(String part, String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LayerKind.decode(text));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void shapesFollowPyTorch() {
    List<Shape> image = List.of(Shape.of(3, 227, 227));
    // AlexNet's first layer: floor((227 + 2 - 11) / 4) + 1 = 55.
    assertEquals(
        Shape.of(96, 55, 55),
        new Conv2d(96, 11, 11, 4, 4, 1, 1, 1, 1, 1, 1, 1, true, false).output(image));
    // Dilation 2 spans 5 rows: floor((10 + 0 - 5) / 1) + 1 = 6; asymmetric padding on W.
    assertEquals(
        Shape.of(4, 6, 13),
        new Conv2d(4, 3, 3, 1, 1, 0, 0, 1, 2, 2, 1, 1, true, false)
            .output(List.of(Shape.of(2, 10, 12))));
    // Ceil mode rounds up: ceil((5 - 2) / 2) + 1 = 3; floor mode gives 2.
    assertEquals(
        Shape.of(8, 3, 3),
        new MaxPool(2, 2, 2, 2, 0, 0, 0, 0, true).output(List.of(Shape.of(8, 5, 5))));
    assertEquals(
        Shape.of(8, 2, 2),
        new AvgPool(2, 2, 2, 2, 0, 0, 0, 0, false, true).output(List.of(Shape.of(8, 5, 5))));
    assertEquals(Shape.of(8, 1, 1), new GlobalAvgPool().output(List.of(Shape.of(8, 5, 5))));
    assertEquals(Shape.of(200), new Flatten().output(List.of(Shape.of(8, 5, 5))));
    assertEquals(Shape.of(7), new Linear(7, true).output(List.of(Shape.of(200))));
    assertEquals(
        Shape.of(6, 4, 4), new Add().output(List.of(Shape.of(6, 4, 4), Shape.of(6, 4, 4))));
    assertEquals(
        Shape.of(11, 4, 4),
        new Concat().output(List.of(Shape.of(3, 4, 4), Shape.of(6, 4, 4), Shape.of(2, 4, 4))));
    assertEquals(Shape.of(9), new Concat().output(List.of(Shape.of(4), Shape.of(5))));
    assertEquals(Shape.of(5), new ReLU6().output(List.of(Shape.of(5))));
  }

  @Test
  void shapeRulesRejectInputsThatDoNotFit() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Add().output(List.of(Shape.of(6, 4, 4), Shape.of(6, 2, 2))));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Concat().output(List.of(Shape.of(3, 4, 4), Shape.of(6, 4, 5))));
    assertThrows(IllegalArgumentException.class, () -> new Concat().output(List.of(Shape.of(3))));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Linear(3, true).output(List.of(Shape.of(3, 2, 2))));
    assertThrows(
        IllegalArgumentException.class, () -> new Softmax().output(List.of(Shape.of(3, 2, 2))));
    assertThrows(
        IllegalArgumentException.class, () -> new GlobalAvgPool().output(List.of(Shape.of(3))));
    // groups must divide the input channels
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new Conv2d(4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, true, false)
                .output(List.of(Shape.of(3, 2, 2))));
    // a 5x5 kernel does not fit a 3x3 input
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Conv2d(4, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, true, false)
                    .output(List.of(Shape.of(3, 3, 3))));
    assertTrue(e.getMessage().contains("output height -1"), e.getMessage());
  }

  @Test
  void parametersHavePyTorchNamesAndLayouts() {
    List<Shape> in = List.of(Shape.of(8, 14, 14));
    Conv2d grouped = new Conv2d(16, 3, 5, 1, 1, 1, 1, 2, 2, 1, 1, 2, false, false);
    // PyTorch's fan-in is weight.size(1) * KH * KW: 4 * 3 * 5 for the grouped convolution.
    assertEquals(
        List.of(new Param("weight", Shape.of(16, 4, 3, 5), false, Param.Init.uniform(60))),
        grouped.parameters(in));
    Param.Init linear = Param.Init.uniform(16);
    assertEquals(
        List.of(
            new Param("weight", Shape.of(10, 16), false, linear),
            new Param("bias", Shape.of(10), false, linear)),
        new Linear(10, true).parameters(List.of(Shape.of(16))));
    assertEquals(
        List.of(
            new Param("weight", Shape.of(8), false, Param.Init.constant(1f)),
            new Param("bias", Shape.of(8), false, Param.Init.constant(0f)),
            new Param("running_mean", Shape.of(8), true, Param.Init.constant(0f)),
            new Param("running_var", Shape.of(8), true, Param.Init.constant(1f))),
        new BatchNorm(1e-5).parameters(in));
    assertEquals(List.of("num_batches_tracked"), new BatchNorm(1e-5).unreadSuffixes());
    assertEquals(List.of(), new Add().parameters(List.of(Shape.of(8), Shape.of(8))));
  }

  /** TinyNet's rows from the processor's golden summary: the texts and counts PyTorch agrees on. */
  @Test
  void describeAndCountsMatchTheSummary() {
    Conv2d conv1 = new Conv2d(8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, true);
    List<Shape> in1 = List.of(Shape.of(1, 28, 28));
    assertEquals("Conv2d(1, 8, kernel=3, padding=same)", conv1.describe(in1));
    assertEquals(80, conv1.parameterCount(in1));
    assertEquals(56_448, conv1.multiplyAdds(in1, conv1.output(in1)));

    Conv2d conv2 = new Conv2d(16, 3, 5, 1, 1, 1, 1, 2, 2, 1, 1, 2, false, false);
    List<Shape> in2 = List.of(Shape.of(8, 14, 14));
    assertEquals(
        "Conv2d(8, 16, kernel=(3, 5), padding=(1, 2), groups=2, bias=False)", conv2.describe(in2));
    assertEquals(960, conv2.parameterCount(in2));
    assertEquals(188_160, conv2.multiplyAdds(in2, conv2.output(in2)));

    assertEquals(
        "Conv2d(3, 96, kernel=11, stride=4, padding=(1, 2, 1, 1), dilation=(2, 1))",
        new Conv2d(96, 11, 11, 4, 4, 1, 2, 1, 1, 2, 1, 1, true, false)
            .describe(List.of(Shape.of(3, 227, 227))));

    assertEquals("BatchNorm2d(8)", new BatchNorm(1e-5).describe(in2));
    assertEquals(16, new BatchNorm(1e-5).parameterCount(in2));
    assertEquals(
        "BatchNorm1d(16, eps=0.001)", new BatchNorm(0.001).describe(List.of(Shape.of(16))));
    assertEquals(32, new BatchNorm(0.001).parameterCount(List.of(Shape.of(16))));
    assertEquals("MaxPool2d(kernel=2)", new MaxPool(2, 2, 2, 2, 0, 0, 0, 0, false).describe(in2));
    assertEquals(
        "MaxPool2d(kernel=3, stride=2, padding=1)",
        new MaxPool(3, 3, 2, 2, 1, 1, 1, 1, false).describe(in2));
    assertEquals(
        "AvgPool2d(kernel=2, ceil_mode=True, count_include_pad=False)",
        new AvgPool(2, 2, 2, 2, 0, 0, 0, 0, true, false).describe(in2));
    assertEquals("Dropout(p=0.25)", new Dropout(0.25).describe(in2));
    Linear fc = new Linear(10, true);
    List<Shape> flat = List.of(Shape.of(16));
    assertEquals("Linear(16, 10)", fc.describe(flat));
    assertEquals(170, fc.parameterCount(flat));
    assertEquals(160, fc.multiplyAdds(flat, fc.output(flat)));
    assertEquals("Linear(16, 10, bias=False)", new Linear(10, false).describe(flat));
    for (LayerKind kind :
        List.of(
            new GlobalAvgPool(),
            new ReLU(),
            new ReLU6(),
            new Sigmoid(),
            new Tanh(),
            new Softmax(),
            new Flatten())) {
      assertEquals(kind.type(), kind.describe(flat.subList(0, 1)));
      assertEquals(0, kind.parameterCount(flat));
    }
    List<Shape> two = List.of(Shape.of(4, 2, 2), Shape.of(4, 2, 2));
    assertEquals("Add", new Add().describe(two));
    assertEquals("Concat", new Concat().describe(two));
    assertEquals(0, new Add().multiplyAdds(two, Shape.of(4, 2, 2)));
  }
}
