package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Toom-Cook construction, checked against direct correlation, and the choice of layers. */
class WinogradMatricesTest {

  /** {@code AT [(G g) . (BT d)]} in double against {@code y[i] = sum_k d[i + k] g[k]}. */
  private static void assertComputesCorrelation(WinogradMatrices w, Random random) {
    int m = w.m();
    int r = w.r();
    int n = w.n();
    for (int trial = 0; trial < 20; trial++) {
      double[] d = new double[n];
      double[] g = new double[r];
      for (int i = 0; i < n; i++) {
        d[i] = random.nextGaussian();
      }
      for (int k = 0; k < r; k++) {
        g[k] = random.nextGaussian();
      }
      double[] product = new double[n];
      for (int j = 0; j < n; j++) {
        double gg = 0;
        for (int k = 0; k < r; k++) {
          gg += w.g()[j * r + k] * g[k];
        }
        double dd = 0;
        for (int l = 0; l < n; l++) {
          dd += w.bt()[j * n + l] * d[l];
        }
        product[j] = gg * dd;
      }
      for (int i = 0; i < m; i++) {
        double y = 0;
        for (int j = 0; j < n; j++) {
          y += w.at()[i * n + j] * product[j];
        }
        double expected = 0;
        for (int k = 0; k < r; k++) {
          expected += d[i + k] * g[k];
        }
        assertEquals(expected, y, 1e-9, "F(" + m + ", " + r + ") output " + i);
      }
    }
  }

  @Test
  void everyConstructionComputesTheCorrelation() {
    Random random = new Random(1);
    assertComputesCorrelation(WinogradMatrices.F2X3, random);
    assertComputesCorrelation(WinogradMatrices.F2X5, random);
    assertComputesCorrelation(WinogradMatrices.F4X3, random);
    assertComputesCorrelation(WinogradMatrices.of(4, 5, 0, 1, -1, 2, -2, 0.5, -0.5), random);
    assertComputesCorrelation(WinogradMatrices.of(4, 3, 0, 1, -1, 2, -2), random);
    assertComputesCorrelation(WinogradMatrices.of(3, 2, 0, 1, -1), random);
    assertComputesCorrelation(WinogradMatrices.of(2, 5, 0, 1, -1, 0.5, -0.5), random);
    assertComputesCorrelation(WinogradMatrices.of(1, 3, 0, 1), random);
  }

  @Test
  void f2x3IsAdditionsOnly() {
    for (double v : WinogradMatrices.F2X3.bt()) {
      assertTrue(v == 0 || v == 1 || v == -1, "BT entry " + v);
    }
    for (double v : WinogradMatrices.F2X3.at()) {
      assertTrue(v == 0 || v == 1 || v == -1, "AT entry " + v);
    }
  }

  /** VectorWinograd's unrolled transforms hard-code these: they must be the derived matrices. */
  @Test
  void unrolledTransformsMatchTheDerivedMatrices() {
    assertArrayEquals(
        new double[] {-1, 0, 1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1},
        WinogradMatrices.F2X3.bt(),
        0.0);
    assertArrayEquals(new double[] {1, 1, 1, 0, 0, 1, -1, 1}, WinogradMatrices.F2X3.at(), 0.0);
    assertArrayEquals(
        new double[] {
          4, 0, -5, 0, 1, 0, //
          0, -4, -4, 1, 1, 0, //
          0, 4, -4, -1, 1, 0, //
          0, -2, -1, 2, 1, 0, //
          0, 2, -1, -2, 1, 0, //
          0, 4, 0, -5, 0, 1
        },
        WinogradMatrices.F2X5.bt(),
        0.0);
    assertArrayEquals(
        new double[] {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 1}, WinogradMatrices.F2X5.at(), 0.0);
    assertArrayEquals(
        new double[] {
          1, 1.5, -2, -1.5, 1, 0, //
          0, -1, -2.5, -0.5, 1, 0, //
          0, 1, 0.5, -2.5, 1, 0, //
          0, -0.5, -1, 0.5, 1, 0, //
          0, 2, -1, -2, 1, 0, //
          0, 1, 1.5, -2, -1.5, 1
        },
        WinogradMatrices.F4X3.bt(),
        0.0);
    assertArrayEquals(
        new double[] {
          1, 1, 1, 1, 1, 0, //
          0, 1, -1, 2, -0.5, 0, //
          0, 1, 1, 4, 0.25, 0, //
          0, 1, -1, 8, -0.125, 1
        },
        WinogradMatrices.F4X3.at(),
        0.0);
  }

  @Test
  void refusesBadPoints() {
    assertThrows(IllegalArgumentException.class, () -> WinogradMatrices.of(2, 3, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> WinogradMatrices.of(2, 3, 0, 1, 1));
  }

  @Test
  void transformedFiltersAreGwGt() {
    WinogradMatrices w = WinogradMatrices.F2X5;
    Random random = new Random(2);
    float[] weight = new float[2 * 25];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) random.nextGaussian();
    }
    float[] u = w.transformFilters(weight, 2);
    int n = w.n();
    for (int row = 0; row < 2; row++) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++) {
              s += w.g()[i * 5 + a] * weight[row * 25 + a * 5 + b] * w.g()[j * 5 + b];
            }
          }
          assertEquals(s, u[(i * n + j) * 2 + row], 1e-5 * (1 + Math.abs(s)));
        }
      }
    }
  }

  /**
   * The tap-by-tap transform against the filter-by-filter double sums it replaced, bit for bit, for
   * every tiling, with G's zero coefficients and weights of both signs and zero; and the placed
   * form, run over two ranges of filters, writes each value at its place and nothing else.
   */
  @Test
  void tapByTapTransformGivesTheFilterByFilterBits() {
    Random random = new Random(4);
    for (WinogradMatrices w :
        new WinogradMatrices[] {
          WinogradMatrices.F2X3, WinogradMatrices.F2X5, WinogradMatrices.F4X3
        }) {
      int r = w.r();
      int n = w.n();
      int rows = 13;
      float[] weight = new float[rows * r * r];
      for (int i = 0; i < weight.length; i++) {
        weight[i] = i % 7 == 0 ? 0f : (float) random.nextGaussian();
      }
      float[] u = w.transformFilters(weight, rows);
      int[] place = new int[rows];
      for (int row = 0; row < rows; row++) {
        place[row] = 2 * (rows - 1 - row) + 1; // reversed, every other slot
      }
      int stride = 2 * rows + 3;
      float[] placed = new float[n * n * stride];
      java.util.Arrays.fill(placed, 42f);
      w.transformFilters(weight, 0, 5, placed, stride, place); // in two ranges, as threads do
      w.transformFilters(weight, 5, rows, placed, stride, place);
      for (int row = 0; row < rows; row++) {
        for (int i = 0; i < n; i++) {
          double[] t = new double[r];
          for (int b = 0; b < r; b++) {
            double s = 0;
            for (int a = 0; a < r; a++) {
              s += w.g()[i * r + a] * weight[row * r * r + a * r + b];
            }
            t[b] = s;
          }
          for (int j = 0; j < n; j++) {
            double s = 0;
            for (int b = 0; b < r; b++) {
              s += t[b] * w.g()[j * r + b];
            }
            int xi = i * n + j;
            assertEquals((float) s, u[xi * rows + row], 0f, w + " row " + row + " xi " + xi);
            assertEquals(u[xi * rows + row], placed[xi * stride + place[row]], 0f);
          }
        }
      }
      for (int q = 0; q < placed.length; q++) {
        int slot = q % stride;
        if (slot % 2 == 0 || slot >= 2 * rows) {
          assertEquals(42f, placed[q], 0f, "slot " + q + " is no place");
        }
      }
    }
  }

  private static Conv2dGeometry conv(int c, int hw, int oc, int k, int stride, int pad, int dil) {
    int out = (hw + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    return new Conv2dGeometry(c, hw, hw, oc, out, out, k, k, stride, stride, pad, pad, dil, dil, 1);
  }

  @Test
  void choosesAlexNetsStrideOneLayersOnly() {
    assertNull(WinogradMatrices.select(conv(1, 224, 96, 11, 4, 1, 1)), "conv1");
    assertSame(WinogradMatrices.F2X5, WinogradMatrices.select(conv(96, 26, 256, 5, 1, 2, 1)));
    assertSame(WinogradMatrices.F2X3, WinogradMatrices.select(conv(256, 12, 384, 3, 1, 1, 1)));
    assertSame(WinogradMatrices.F2X3, WinogradMatrices.select(conv(384, 12, 256, 3, 1, 1, 1)));
  }

  @Test
  void shortRowsRunOneAtATimeWhereThePaddingIsAFifthOrMore() {
    WinogradMatrices f23 = WinogradMatrices.F2X3;
    WinogradMatrices f43 = WinogradMatrices.F4X3;
    assertEquals(4, f23.rowColumns(conv(512, 7, 512, 3, 1, 1, 1)), "7 x 7: 4 tiles, 1 unused");
    assertEquals(4, f43.rowColumns(conv(256, 14, 256, 3, 1, 1, 1)), "14 x 14 in 4 x 4 tiles");
    assertEquals(3, f43.rowColumns(conv(256, 12, 384, 3, 1, 1, 1)), "12 x 12 in 4 x 4 tiles");
    assertEquals(8, f43.rowColumns(conv(128, 28, 128, 3, 1, 1, 1)), "7 tiles: padded");
    assertEquals(7, f23.rowColumns(conv(256, 12, 384, 3, 1, 1, 1)), "6 tiles: padded");
    assertEquals(3, f23.rowColumns(conv(64, 3, 64, 3, 1, 1, 1)), "2 tiles: padded");
    assertEquals(28, f23.rowColumns(conv(64, 56, 64, 3, 1, 1, 1)), "28 tiles: per row");
    assertEquals(16 * 4 * 4, f23.computedProducts(conv(512, 7, 512, 3, 1, 1, 1)));
  }

  @Test
  void largeTilesFor3x3LayersWhereTheySaveProducts() {
    assertSame(WinogradMatrices.F4X3, WinogradMatrices.large(conv(256, 12, 384, 3, 1, 1, 1)));
    assertNull(WinogradMatrices.large(conv(96, 26, 256, 5, 1, 2, 1)), "5x5");
    assertNull(WinogradMatrices.large(conv(8, 12, 64, 3, 1, 1, 1)), "8 input channels");
    assertNull(WinogradMatrices.large(conv(64, 12, 64, 3, 2, 1, 1)), "stride 2");
  }

  @Test
  void leavesOtherLayersToTheGemm() {
    assertNull(WinogradMatrices.select(conv(6, 14, 16, 5, 1, 0, 1)), "LeNet conv2: 6 channels");
    assertNull(WinogradMatrices.select(conv(64, 12, 8, 3, 1, 1, 1)), "8 output channels");
    assertNull(WinogradMatrices.select(conv(64, 12, 64, 3, 2, 1, 1)), "stride 2");
    assertNull(WinogradMatrices.select(conv(64, 12, 64, 3, 1, 2, 2)), "dilation 2");
    assertNull(WinogradMatrices.select(conv(64, 12, 64, 7, 1, 3, 1)), "7x7");
    assertNull(WinogradMatrices.select(conv(64, 12, 64, 1, 1, 0, 1)), "1x1");
    assertNull(WinogradMatrices.select(conv(64, 3, 64, 3, 1, 0, 1)), "1x1 output");
    assertNull(WinogradMatrices.select(conv(64, 3, 64, 3, 1, 1, 1)), "3x3 output");
    assertNull(
        WinogradMatrices.select(
            new Conv2dGeometry(64, 12, 12, 64, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 2)),
        "groups");
    assertNull(
        WinogradMatrices.select(
            new Conv2dGeometry(64, 12, 12, 64, 10, 12, 3, 5, 1, 1, 0, 2, 1, 1, 1)),
        "3x5");
  }

  @Test
  void onUnlessThePropertySaysFalse() {
    assertTrue(WinogradMatrices.enabled(null));
    assertTrue(WinogradMatrices.enabled("true"));
    assertFalse(WinogradMatrices.enabled("false"));
    assertFalse(WinogradMatrices.enabled("no"), "only true or unset turns it on");
  }

  @Test
  void propertyTurnsItOff() {
    Conv2dGeometry g = conv(256, 12, 384, 3, 1, 1, 1);
    String old = System.getProperty(WinogradMatrices.PROPERTY);
    try {
      System.setProperty(WinogradMatrices.PROPERTY, "false");
      assertNull(WinogradMatrices.choose(g));
      System.setProperty(WinogradMatrices.PROPERTY, "true");
      assertNotNull(WinogradMatrices.choose(g));
    } finally {
      if (old == null) {
        System.clearProperty(WinogradMatrices.PROPERTY);
      } else {
        System.setProperty(WinogradMatrices.PROPERTY, old);
      }
    }
  }
}
