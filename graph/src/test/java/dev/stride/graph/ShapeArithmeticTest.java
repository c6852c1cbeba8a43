package dev.stride.graph;

import static com.google.common.truth.Truth.assertThat;
import static com.google.common.truth.Truth.assertWithMessage;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The arithmetic against PyTorch (tools/shape_cases.py) and against the contract's formulas. */
class ShapeArithmeticTest {
  @Test
  void everyOutputSizeMatchesPyTorch() throws IOException {
    List<String> rows = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(
                getClass().getResourceAsStream("/shape_cases.csv"), StandardCharsets.UTF_8))) {
      in.readLine(); // header: op,n,k,s,before,after,d,ceil,out
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        rows.add(line);
      }
    }
    // A guard against an empty or truncated file passing vacuously.
    assertThat(rows.size()).isAtLeast(3000);
    int refused = 0;
    for (String row : rows) {
      String[] f = row.split(",");
      long n = Long.parseLong(f[1]);
      long k = Long.parseLong(f[2]);
      long s = Long.parseLong(f[3]);
      long before = Long.parseLong(f[4]);
      long after = Long.parseLong(f[5]);
      long d = Long.parseLong(f[6]);
      boolean ceil = f[7].equals("1");
      long ours =
          switch (f[0]) {
            case "conv" -> ShapeArithmetic.convOutput(n, k, s, before, after, d);
            case "maxpool", "avgpool" -> ShapeArithmetic.poolOutput(n, k, s, before, after, ceil);
            case "same" -> {
              long[] pad = ShapeArithmetic.samePadding(n, k, s, d);
              long out = ShapeArithmetic.convOutput(n, k, s, pad[0], pad[1], d);
              assertWithMessage(row).that(out).isEqualTo(ShapeArithmetic.sameOutput(n, s));
              yield out;
            }
            default -> throw new AssertionError("unknown op in " + row);
          };
      if (f[8].equals("error")) {
        // PyTorch refuses exactly the cases whose output would be below 1.
        assertWithMessage(row).that(ours).isLessThan(1L);
        refused++;
      } else {
        assertWithMessage(row).that(ours).isEqualTo(Long.parseLong(f[8]));
      }
    }
    assertThat(refused).isGreaterThan(0);
  }

  @ParameterizedTest(name = "n={0} k={1} s={2} d={3}: out {4}, padding {5}+{6}")
  @CsvSource({
    // TensorFlow's SAME at stride > 1: out = ceil(n / s), the odd pixel at the bottom/right.
    "224, 7, 2, 1, 112, 2, 3",
    "5, 3, 2, 1, 3, 1, 1",
    "6, 3, 2, 1, 3, 0, 1",
    "7, 3, 2, 1, 4, 1, 1",
    "1, 5, 3, 1, 1, 2, 2",
    "10, 1, 3, 1, 4, 0, 0",
    "9, 1, 3, 1, 3, 0, 0",
    "32, 3, 2, 2, 16, 1, 2",
    "17, 4, 4, 1, 5, 1, 2",
    // Stride 1: PyTorch's padding='same' (also in the CSV).
    "28, 3, 1, 1, 28, 1, 1",
    "28, 4, 1, 1, 28, 1, 2",
    "28, 3, 1, 3, 28, 3, 3",
  })
  void samePadding(int n, int k, int s, int d, int out, int before, int after) {
    assertThat(ShapeArithmetic.sameOutput(n, s)).isEqualTo(out);
    assertThat(ShapeArithmetic.samePadding(n, k, s, d))
        .asList()
        .containsExactly((long) before, (long) after)
        .inOrder();
    assertThat(ShapeArithmetic.convOutput(n, k, s, before, after, d)).isEqualTo(out);
    assertThat(ShapeArithmetic.unused(n, k, s, before, after, d)).isLessThan((long) s);
  }

  @Test
  void sameAlwaysGivesCeilOfNOverS() {
    for (int n = 1; n <= 40; n++) {
      for (int k = 1; k <= 7; k++) {
        for (int s = 1; s <= 4; s++) {
          for (int d = 1; d <= 3; d++) {
            long[] pad = ShapeArithmetic.samePadding(n, k, s, d);
            assertWithMessage("n=%s k=%s s=%s d=%s", n, k, s, d)
                .that(ShapeArithmetic.convOutput(n, k, s, pad[0], pad[1], d))
                .isEqualTo((n + s - 1) / s);
            assertThat(pad[1] - pad[0]).isIn(List.of(0L, 1L));
          }
        }
      }
    }
  }

  @Test
  void ceilModeDropsAWindowThatWouldStartInThePadding() {
    // n=5, k=2, s=2, p=1: ceil((5+2-2)/2)+1 = 4, but window 4 would start at 6 >= 5+1: 3.
    assertThat(ShapeArithmetic.poolOutput(5, 2, 2, 1, 1, true)).isEqualTo(3);
    assertThat(ShapeArithmetic.poolOutput(5, 2, 2, 1, 1, false)).isEqualTo(3);
    // n=6, k=3, s=2: floor gives 2, ceil 3 (the last window is partly outside the input).
    assertThat(ShapeArithmetic.poolOutput(6, 3, 2, 0, 0, false)).isEqualTo(2);
    assertThat(ShapeArithmetic.poolOutput(6, 3, 2, 0, 0, true)).isEqualTo(3);
  }

  @Test
  void unusedRowsOfAlexNetsFirstLayer() {
    assertThat(ShapeArithmetic.unused(224, 11, 4, 1, 1, 1)).isEqualTo(3);
    assertThat(ShapeArithmetic.unused(227, 11, 4, 0, 0, 1)).isEqualTo(0);
    // Not even one window fits: that is an error elsewhere, not unused rows.
    assertThat(ShapeArithmetic.unused(2, 3, 2, 0, 0, 1)).isEqualTo(0);
  }

  @Test
  void outputBelowOneUsesFloorDivisionOfNegatives() {
    // floor((2 + 0 + 0 - 1*(3-1) - 1) / 2) + 1 = floor(-1 / 2) + 1 = 0, not 1.
    assertThat(ShapeArithmetic.convOutput(2, 3, 2, 0, 0, 1)).isEqualTo(0);
    assertThat(ShapeArithmetic.convOutput(1, 3, 1, 0, 0, 2)).isEqualTo(-3);
  }

  @Test
  void parameterCountsAreTorchs() {
    // nn.Conv2d(6, 12, 3, groups=3): 12 * 2 * 3 * 3 + 12.
    assertThat(ShapeArithmetic.conv2dParameters(6, 12, 3, 3, 3, true)).isEqualTo(228);
    assertThat(ShapeArithmetic.conv2dParameters(1, 96, 1, 11, 11, true)).isEqualTo(11_712);
    assertThat(ShapeArithmetic.conv2dParameters(8, 16, 2, 3, 5, false)).isEqualTo(960);
    assertThat(ShapeArithmetic.linearParameters(6400, 4096, true)).isEqualTo(26_218_496);
    assertThat(ShapeArithmetic.linearParameters(16, 10, false)).isEqualTo(160);
    assertThat(ShapeArithmetic.batchNormParameters(96)).isEqualTo(192);
  }

  @Test
  void multiplyAdds() {
    assertThat(ShapeArithmetic.conv2dMultiplyAdds(1, 96, 1, 54, 54, 11, 11)).isEqualTo(33_872_256);
    assertThat(ShapeArithmetic.conv2dMultiplyAdds(6, 12, 3, 10, 10, 3, 3))
        .isEqualTo(12 * 100 * 2 * 9);
    assertThat(ShapeArithmetic.linearMultiplyAdds(6400, 4096)).isEqualTo(26_214_400);
  }

  @Test
  void overflowThrowsInsteadOfWrapping() {
    assertThrows(
        ArithmeticException.class,
        () ->
            ShapeArithmetic.conv2dParameters(
                Integer.MAX_VALUE, Integer.MAX_VALUE, 1, Integer.MAX_VALUE, 2, true));
    assertThrows(
        ArithmeticException.class,
        () ->
            ShapeArithmetic.conv2dMultiplyAdds(
                Integer.MAX_VALUE, Integer.MAX_VALUE, 1, Integer.MAX_VALUE, 1, 1, 1));
  }

  @Test
  void sizeArrays() {
    assertThat(ShapeArithmetic.pair(List.of(3))).asList().containsExactly(3, 3).inOrder();
    assertThat(ShapeArithmetic.pair(List.of(3, 5))).asList().containsExactly(3, 5).inOrder();
    assertThat(ShapeArithmetic.pair(List.of())).isNull();
    assertThat(ShapeArithmetic.pair(List.of(1, 2, 3))).isNull();
    assertThat(ShapeArithmetic.sides(List.of(1))).asList().containsExactly(1, 1, 1, 1).inOrder();
    assertThat(ShapeArithmetic.sides(List.of(1, 2))).asList().containsExactly(1, 1, 2, 2).inOrder();
    assertThat(ShapeArithmetic.sides(List.of(1, 2, 3, 4)))
        .asList()
        .containsExactly(1, 2, 3, 4)
        .inOrder();
    assertThat(ShapeArithmetic.sides(List.of(1, 2, 3))).isNull();
    assertThat(ShapeArithmetic.sides(List.of(1, 2, 3, 4, 5))).isNull();
  }
}
