package dev.stride.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The d2l ResNet-18 spec the example prints: PyTorch's totals and shapes. */
class ResNet18Test {
  @Test
  void parameterCountIsD2ls() {
    // sum(p.numel()) of d2l's ResNet-18 for Fashion-MNIST (tools/make_block_reference.py).
    assertEquals(11_178_378L, ResNet18Model.PARAMETER_COUNT);
  }

  @Test
  void summaryShowsEachStagesShape() {
    String summary = ResNet18Model.summary();
    for (String row :
        new String[] {"conv1", "pool", "b2.1.relu2", "b3.0.conv3", "b5.1.add", "fc"}) {
      assertTrue(summary.contains(row), row + " in\n" + summary);
    }
    for (String shape :
        new String[] {
          "[64, 48, 48]",
          "[64, 24, 24]",
          "[128, 12, 12]",
          "[256, 6, 6]",
          "[512, 3, 3]",
          "[512]",
          "[10]"
        }) {
      assertTrue(summary.contains(shape), shape + " in\n" + summary);
    }
    assertTrue(summary.contains("11,178,378") || summary.contains("11178378"), summary);
  }
}
