package dev.stride.runtime.kernel;

/**
 * The three matrices of Winograd's minimal filtering algorithm F(m, r) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2015): for an input run {@code d} of {@code n = m
 * + r - 1} values and a filter {@code g} of {@code r} taps, the {@code m} outputs of the
 * correlation {@code y[i] = sum_k d[i + k] g[k]} are {@code y = AT [(G g) . (BT d)]}, with {@code
 * .} the elementwise product; nested in two dimensions, {@code Y = AT [(G g GT) . (BT d B)] A}
 * costs {@code n^2} multiplications per {@code m x m} outputs instead of {@code m^2 r^2}.
 *
 * <p>The matrices come from the Toom-Cook construction on {@code n - 1} finite points and the point
 * at infinity: {@code AT} and {@code G} are Vandermonde matrices of the points ({@code G}'s rows
 * scaled by the Lagrange denominators, so {@code BT} stays small), and {@code BT} is solved for in
 * double precision from the defining identity {@code sum_j AT[i][j] G[j][k] BT[j][l] = [l == i +
 * k]}; {@link #of} refuses points for which that system has no exact solution.
 *
 * @param m outputs per tile side
 * @param r filter taps per side
 * @param at {@code m x n}, row-major
 * @param g {@code n x r}, row-major
 * @param bt {@code n x n}, row-major
 */
record WinogradMatrices(int m, int r, double[] at, double[] g, double[] bt) {
  /** Points 0, 1, -1 (and infinity): the transforms are additions only. */
  static final WinogradMatrices F2X3 = of(2, 3, 0, 1, -1);

  /** Points 0, +-1, +-2 (and infinity): the smallest integer points for n = 6. */
  static final WinogradMatrices F2X5 = of(2, 5, 0, 1, -1, 2, -2);

  /**
   * F(4x4, 3x3): 2.25 products per output instead of F(2x2, 3x3)'s 4, for batches large enough to
   * fill its GEMM columns ({@link #large}). Points 0, +-1, 2, -1/2: against double sums its error
   * was 2-5e-6 of the output's magnitude at 96-384 channels, where 0, +-1, +-2 gave 7-10e-6 (and
   * F(2x2, 3x3) 4-9e-7).
   */
  static final WinogradMatrices F4X3 = of(4, 3, 0, 1, -1, 2, -0.5);

  /**
   * {@code -Dstride.winograd=false} turns the Winograd path off (it is on unless the property says
   * otherwise). Off, the vector kernels' convolutions all take the im2col GEMM, whose rounding is
   * that of a plain dot product.
   */
  static final String PROPERTY = "stride.winograd";

  /** Whether the vector kernels use Winograd in this JVM: {@link #PROPERTY}, on if unset. */
  static boolean enabled() {
    return enabled(System.getProperty(PROPERTY));
  }

  static boolean enabled(String property) {
    return property == null || Boolean.parseBoolean(property);
  }

  /**
   * Fewest input and output channels: the transforms cost per channel about what 16 output
   * channels' products cost, so below this the direct GEMM wins.
   */
  static final int MIN_CHANNELS = 16;

  /**
   * The matrices for a convolution the vector kernels should run as Winograd, or null: square 3x3
   * (F(2x2, 3x3)) or 5x5 (F(2x2, 5x5)) filters, stride 1, no dilation, one group, at least {@link
   * #MIN_CHANNELS} channels in and out, an output large enough that the products computed
   * (including each tile's cut-off outputs and the layout's unused tile columns) are under 80% of
   * the direct count, and the path {@link #enabled}.
   */
  static WinogradMatrices choose(Conv2dGeometry g) {
    return enabled() ? select(g) : null;
  }

  /** {@link #choose} without asking whether the path is enabled. */
  static WinogradMatrices select(Conv2dGeometry g) {
    int r = g.kernelHeight();
    if (g.groups() != 1
        || r != g.kernelWidth()
        || (r != 3 && r != 5)
        || g.strideHeight() != 1
        || g.strideWidth() != 1
        || g.dilationHeight() != 1
        || g.dilationWidth() != 1
        || g.inChannels() < MIN_CHANNELS
        || g.outChannels() < MIN_CHANNELS) {
      return null;
    }
    WinogradMatrices w = r == 3 ? F2X3 : F2X5;
    return w.computedProducts(g) * 5 < (long) r * r * g.outHeight() * g.outWidth() * 4 ? w : null;
  }

  /**
   * The larger-tile alternative to {@code choose(g)} for big batches: {@link #F4X3} for 3x3 layers
   * where it computes fewer products per sample than F(2x2, 3x3), else null. There is none for 5x5:
   * F(4x4, 5x5) (points 0, +-1, +-2, +-1/2) was about 1.2x faster on AlexNet's conv2 at batch 32
   * (one thread) but missed outputs by up to 3e-5 of their magnitude, against 1e-5 for every other
   * path.
   */
  static WinogradMatrices large(Conv2dGeometry g) {
    WinogradMatrices small = select(g);
    return small == F2X3 && F4X3.computedProducts(g) < small.computedProducts(g) ? F4X3 : null;
  }

  /**
   * Tile rows this long or longer are transformed one row at a time and take no unused columns in
   * the GEMM; shorter ones are padded to {@code Tx + (n - 1) / m} columns so that 16 tiles of a
   * vector can span rows. AlexNet's 26 x 26 conv2 (13 tiles per row) loses 3/16 of its transform
   * vectors instead of 2/15 of its GEMM columns; for 12 x 12 (6 tiles) the padding is cheaper.
   */
  static final int RUN_PER_ROW_MIN = 12;

  /**
   * GEMM columns per tile row of {@code g}'s output in the vector layout. Short rows are run one at
   * a time too where the padding would be a fifth or more of the GEMM's columns (ResNet's 7 x 7
   * layers in 2 x 2 tiles: 4 tiles and 1 unused column per row, 20 columns a sample for 16 tiles):
   * every unused column costs a multiply-add per output channel, a row's partly used transform
   * vector only a few operations per input channel. Rows of at most two tiles per unused column
   * stay padded: their vectors would be mostly idle lanes, and such planes (3 x 3) are too small to
   * gain.
   */
  int rowColumns(Conv2dGeometry g) {
    int tilesX = (g.outWidth() + m - 1) / m;
    int unused = (n() - 1) / m;
    boolean perRow = tilesX >= RUN_PER_ROW_MIN || (tilesX > 2 * unused && tilesX <= 4 * unused);
    return perRow ? tilesX : tilesX + unused;
  }

  /** Products per sample of the vector layout: {@code n^2} per GEMM column. */
  long computedProducts(Conv2dGeometry g) {
    int n = n();
    return (long) n * n * ((g.outHeight() + m - 1) / m) * rowColumns(g);
  }

  /** Tile side {@code n = m + r - 1}: input values per tile side, and products per side. */
  int n() {
    return m + r - 1;
  }

  /**
   * F(m, r) on the given {@code m + r - 2} distinct finite points; small integers and halves
   * ({@code 0, 1, -1, 2, -2, 1/2, ...}) keep the transforms' rounding error small.
   */
  static WinogradMatrices of(int m, int r, double... points) {
    int n = m + r - 1;
    if (m < 1 || r < 1 || points.length != n - 1) {
      throw new IllegalArgumentException(
          "F(" + m + ", " + r + ") needs " + (n - 1) + " points, got " + points.length);
    }
    double[] at = new double[m * n];
    double[] g = new double[n * r];
    for (int j = 0; j < n - 1; j++) {
      double denominator = 1;
      for (int l = 0; l < n - 1; l++) {
        if (l != j) {
          denominator *= points[j] - points[l];
        }
      }
      if (denominator == 0) {
        throw new IllegalArgumentException("points must be distinct");
      }
      for (int i = 0; i < m; i++) {
        at[i * n + j] = Math.pow(points[j], i);
      }
      for (int k = 0; k < r; k++) {
        g[j * r + k] = Math.pow(points[j], k) / denominator;
      }
    }
    at[(m - 1) * n + n - 1] = 1;
    g[(n - 1) * r + r - 1] = 1;
    double[] bt = new double[n * n];
    // For each column l of BT: sum_j (AT[i][j] G[j][k]) BT[j][l] = [l == i + k], m*r equations in
    // n unknowns, solved by least squares (normal equations) and then checked exactly.
    double[][] system = new double[m * r][n];
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < r; k++) {
        for (int j = 0; j < n; j++) {
          system[i * r + k][j] = at[i * n + j] * g[j * r + k];
        }
      }
    }
    for (int l = 0; l < n; l++) {
      double[] rhs = new double[m * r];
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < r; k++) {
          rhs[i * r + k] = l == i + k ? 1 : 0;
        }
      }
      double[] x = leastSquares(system, rhs, n);
      for (int j = 0; j < n; j++) {
        // The entries are small dyadic rationals for the usual points: drop the solver's noise.
        double snapped = Math.rint(x[j] * 1024) / 1024;
        bt[j * n + l] = Math.abs(x[j] - snapped) < 1e-9 ? snapped : x[j];
      }
    }
    WinogradMatrices w = new WinogradMatrices(m, r, at, g, bt);
    double residual = w.residual();
    if (residual > 1e-9) {
      throw new IllegalArgumentException(
          "no exact F(" + m + ", " + r + ") on these points: residual " + residual);
    }
    return w;
  }

  /** Largest deviation from the defining identity; 0 for exact matrices. */
  double residual() {
    int n = n();
    double worst = 0;
    for (int i = 0; i < m; i++) {
      for (int k = 0; k < r; k++) {
        for (int l = 0; l < n; l++) {
          double sum = 0;
          for (int j = 0; j < n; j++) {
            sum += at[i * n + j] * g[j * r + k] * bt[j * n + l];
          }
          worst = Math.max(worst, Math.abs(sum - (l == i + k ? 1 : 0)));
        }
      }
    }
    return worst;
  }

  /**
   * {@code U = G w GT} for each of the {@code rows} filters {@code w (r x r)} at {@code weight[row
   * * r * r]}: {@code u[xi * rows + row]} for {@code xi < n * n}, rounded once to float from
   * double.
   */
  float[] transformFilters(float[] weight, int rows) {
    int n = n();
    float[] u = new float[n * n * rows];
    transformFilters(weight, 0, rows, u, rows, null);
    return u;
  }

  /**
   * As {@link #transformFilters(float[], int)} for filters {@code [from, to)}, writing {@code U_xi}
   * of filter {@code row} to {@code out[xi * stride + at[row]]} ({@code at} null: {@code row}), so
   * that a caller can place the values straight into its packed layout, and split the filters over
   * threads.
   *
   * <p>It runs at a network's load, before the JIT has compiled it: so the work goes tap by tap
   * over all the filters at once, in long loops of few bytecodes in small methods that the JIT
   * takes up early, and skips {@code G}'s zeros (a quarter of F(4x4, 3x3)'s). The sums are those of
   * the filter-by-filter formula, term for term in the same order, so the bits are the same: a zero
   * coefficient's term is {@code +-0}, which leaves a sum that started at {@code +0} unchanged
   * (finite weights).
   */
  void transformFilters(float[] weight, int from, int to, float[] out, int stride, int[] at) {
    int n = n();
    int taps = r * r;
    int rows = to - from;
    // planes[(a * r + b) * rows + k] = weight[(from + k) * r * r + a * r + b]
    double[] planes = new double[Math.multiplyExact(taps, rows)];
    for (int q = 0; q < taps; q++) {
      gather(weight, from * taps + q, taps, planes, q * rows, rows);
    }
    // t[(i * r + b) * rows + k] = sum_a g[i][a] w[a][b]; then U[i][j] = sum_b t[i][b] g[j][b]
    double[] t = new double[Math.multiplyExact(n * r, rows)];
    for (int i = 0; i < n; i++) {
      for (int b = 0; b < r; b++) {
        for (int a = 0; a < r; a++) {
          double c = g[i * r + a];
          if (c != 0) {
            addScaled(c, planes, (a * r + b) * rows, t, (i * r + b) * rows, rows);
          }
        }
      }
    }
    planes = null; // let go before the sums' buffer is made
    double[] sum = new double[rows];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        java.util.Arrays.fill(sum, 0.0);
        for (int b = 0; b < r; b++) {
          double c = g[j * r + b];
          if (c != 0) {
            addScaled(c, t, (i * r + b) * rows, sum, 0, rows);
          }
        }
        scatter(sum, out, (i * n + j) * stride, at, from);
      }
    }
  }

  /** {@code dst[dstOff + k] = src[k * step + from]} for {@code k < count}. */
  private static void gather(float[] src, int from, int step, double[] dst, int dstOff, int count) {
    for (int k = 0; k < count; k++) {
      dst[dstOff + k] = src[k * step + from];
    }
  }

  /** {@code dst[dstOff + k] += c * src[srcOff + k]} for {@code k < count}. */
  private static void addScaled(
      double c, double[] src, int srcOff, double[] dst, int dstOff, int count) {
    for (int k = 0; k < count; k++) {
      dst[dstOff + k] += c * src[srcOff + k];
    }
  }

  /**
   * {@code out[base + at[from + k]] = (float) sum[k]} ({@code at} null: {@code out[base + from +
   * k]}).
   */
  private static void scatter(double[] sum, float[] out, int base, int[] at, int from) {
    if (at == null) {
      for (int k = 0; k < sum.length; k++) {
        out[base + from + k] = (float) sum[k];
      }
    } else {
      for (int k = 0; k < sum.length; k++) {
        out[base + at[from + k]] = (float) sum[k];
      }
    }
  }

  private static double[] leastSquares(double[][] a, double[] y, int n) {
    double[][] normal = new double[n][n + 1];
    for (int p = 0; p < n; p++) {
      for (int q = 0; q < n; q++) {
        double s = 0;
        for (int e = 0; e < a.length; e++) {
          s += a[e][p] * a[e][q];
        }
        normal[p][q] = s;
      }
      double s = 0;
      for (int e = 0; e < a.length; e++) {
        s += a[e][p] * y[e];
      }
      normal[p][n] = s;
    }
    // Gaussian elimination with partial pivoting.
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int row = col + 1; row < n; row++) {
        if (Math.abs(normal[row][col]) > Math.abs(normal[pivot][col])) {
          pivot = row;
        }
      }
      double[] swap = normal[col];
      normal[col] = normal[pivot];
      normal[pivot] = swap;
      if (Math.abs(normal[col][col]) < 1e-300) {
        throw new IllegalArgumentException("singular Winograd system");
      }
      for (int row = 0; row < n; row++) {
        if (row != col) {
          double f = normal[row][col] / normal[col][col];
          for (int q = col; q <= n; q++) {
            normal[row][q] -= f * normal[col][q];
          }
        }
      }
    }
    double[] x = new double[n];
    for (int p = 0; p < n; p++) {
      x[p] = normal[p][n] / normal[p][p];
    }
    return x;
  }
}
