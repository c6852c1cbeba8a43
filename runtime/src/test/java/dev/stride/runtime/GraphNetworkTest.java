package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.graph.AvgPool;
import dev.stride.graph.BatchNorm;
import dev.stride.graph.Conv2d;
import dev.stride.graph.Graph;
import dev.stride.graph.LayerKind;
import dev.stride.graph.Linear;
import dev.stride.graph.MaxPool;
import dev.stride.graph.Node;
import dev.stride.runtime.kernel.Activation;
import dev.stride.runtime.kernel.Conv2dGeometry;
import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.Kernels;
import dev.stride.runtime.kernel.Pool2dGeometry;
import dev.stride.runtime.kernel.PreparedLayer;
import dev.stride.runtime.kernel.ScalarKernels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Residual and branching graphs, written as row tables by hand, planned (folded, fused, Concat
 * slices, buffers by liveness) and run with the scalar and the default kernels, against a plain
 * walk of the graph in this file that allocates every node's output and runs every node alone.
 *
 * <p>Tolerance: {@link #RELATIVE} of the output's largest magnitude; folding a BatchNorm rounds the
 * weights once more than the plain walk does.
 */
class GraphNetworkTest {
  static final double RELATIVE = 1e-4;

  /** A BasicBlock on the network input, one with a projection shortcut, and an Add with no ReLU. */
  static final NetworkDef RESIDUAL =
      NetworkDef.table(
          "Residual",
          new int[] {5, 7, 9},
          "conv1        Conv2d 5 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias         -> [5, 7, 9]",
          "bn1          BatchNorm eps=1.0E-5                                     -> [5, 7, 9]",
          "relu1        ReLU                                                     -> [5, 7, 9]",
          "conv2        Conv2d 5 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias         -> [5, 7, 9]",
          "bn2          BatchNorm eps=1.0E-5                                     -> [5, 7, 9]",
          "add          Add <- bn2, (input)                                      -> [5, 7, 9]",
          "relu2        ReLU                                                     -> [5, 7, 9]",
          "b.conv1      Conv2d 6 k=3x3 s=2x2 p=1,1,1,1 d=1x1 g=1 nobias         -> [6, 4, 5]",
          "b.bn1        BatchNorm eps=1.0E-5                                     -> [6, 4, 5]",
          "b.relu1      ReLU                                                     -> [6, 4, 5]",
          "b.conv2      Conv2d 6 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 nobias         -> [6, 4, 5]",
          "b.bn2        BatchNorm eps=1.0E-5                                     -> [6, 4, 5]",
          "b.down.conv  Conv2d 6 k=1x1 s=2x2 p=0,0,0,0 d=1x1 g=1 nobias <- relu2 -> [6, 4, 5]",
          "b.down.bn    BatchNorm eps=1.0E-5                                     -> [6, 4, 5]",
          "b.add        Add <- b.bn2, b.down.bn                                  -> [6, 4, 5]",
          "b.relu2      ReLU                                                     -> [6, 4, 5]",
          "c.conv       Conv2d 6 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias           -> [6, 4, 5]",
          "c.add        Add <- c.conv, b.relu2                                   -> [6, 4, 5]",
          "gap          GlobalAvgPool                                            -> [6, 1, 1]",
          "flatten      Flatten                                                  -> [6]",
          "fc           Linear 4 bias                                            -> [4]");

  /**
   * GoogLeNet-style: three branches concatenated (convolutions writing their slices), then a Concat
   * of a Concat, an activation of a value read elsewhere, and the network input.
   */
  static final NetworkDef INCEPTION =
      NetworkDef.table(
          "Inception",
          new int[] {4, 9, 11},
          "stem     Conv2d 6 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias          -> [6, 9, 11]",
          "relu     ReLU                                                   -> [6, 9, 11]",
          "b1       Conv2d 3 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias          -> [3, 9, 11]",
          "b1r      ReLU                                                   -> [3, 9, 11]",
          "b2a      Conv2d 4 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias <- relu  -> [4, 9, 11]",
          "b2ar     ReLU                                                   -> [4, 9, 11]",
          "b2b      Conv2d 5 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias          -> [5, 9, 11]",
          "b2br     ReLU                                                   -> [5, 9, 11]",
          "b3p      MaxPool k=3x3 s=1x1 p=1,1,1,1 <- relu                  -> [6, 9, 11]",
          "b3       Conv2d 2 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias          -> [2, 9, 11]",
          "b3r      ReLU                                                   -> [2, 9, 11]",
          "cat      Concat <- b1r, b2br, b3r                               -> [10, 9, 11]",
          "side     Sigmoid <- relu                                        -> [6, 9, 11]",
          "cat2     Concat <- cat, side, (input)                           -> [20, 9, 11]",
          "gap      GlobalAvgPool                                          -> [20, 1, 1]",
          "flatten  Flatten                                                -> [20]",
          "fc       Linear 3 bias                                          -> [3]");

  /** DenseNet-style: concat(x, conv(x)) with x the network input, then x read twice. */
  static final NetworkDef DENSE =
      NetworkDef.table(
          "Dense",
          new int[] {3, 6, 5},
          "pre      Conv2d 2 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias             -> [2, 6, 5]",
          "pcat     Concat <- (input), pre                                    -> [5, 6, 5]",
          "conv0    Conv2d 4 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias             -> [4, 6, 5]",
          "d1.bn    BatchNorm eps=1.0E-5                                      -> [4, 6, 5]",
          "d1.relu  ReLU                                                      -> [4, 6, 5]",
          "d1.conv  Conv2d 3 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias             -> [3, 6, 5]",
          "d1.cat   Concat <- conv0, d1.conv                                  -> [7, 6, 5]",
          "d2.bn    BatchNorm eps=1.0E-5                                      -> [7, 6, 5]",
          "d2.relu  ReLU                                                      -> [7, 6, 5]",
          "d2.conv  Conv2d 3 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=1 bias             -> [3, 6, 5]",
          "d2.cat   Concat <- d1.cat, d2.conv                                 -> [10, 6, 5]",
          "t.bn     BatchNorm eps=1.0E-5                                      -> [10, 6, 5]",
          "t.relu   ReLU                                                      -> [10, 6, 5]",
          "t.conv   Conv2d 5 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 bias             -> [5, 6, 5]",
          "t.pool   AvgPool k=2x2 s=2x2 p=0,0,0,0                             -> [5, 3, 2]",
          "flatten  Flatten                                                   -> [30]",
          "fc       Linear 2 bias                                             -> [2]");

  /** Flat features: a residual Add, ReLU6, a flat Concat and a BatchNorm1d. */
  static final NetworkDef MLP =
      NetworkDef.table(
          "Mlp",
          new int[] {13},
          "fc1    Linear 9 bias             -> [9]",
          "bn1    BatchNorm eps=0.001       -> [9]",
          "relu1  ReLU                      -> [9]",
          "fc2    Linear 9 bias             -> [9]",
          "add    Add <- fc2, relu1         -> [9]",
          "r6     ReLU6                     -> [9]",
          "drop   Dropout p=0.5             -> [9]",
          "fc3    Linear 7 nobias           -> [7]",
          "r6b    ReLU6                     -> [7]",
          "fc4    Linear 5 bias <- add      -> [5]",
          "cat    Concat <- r6b, fc4        -> [12]",
          "sm     Softmax                   -> [12]");

  /** MobileNetV2's inverted residual (depthwise, ReLU6), then an Add of two pools. */
  static final NetworkDef MOBILE =
      NetworkDef.table(
          "Mobile",
          new int[] {4, 7, 7},
          "expand   Conv2d 12 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 nobias   -> [12, 7, 7]",
          "bn1      BatchNorm eps=1.0E-5                               -> [12, 7, 7]",
          "r1       ReLU6                                              -> [12, 7, 7]",
          "dw       Conv2d 12 k=3x3 s=1x1 p=1,1,1,1 d=1x1 g=12 nobias  -> [12, 7, 7]",
          "bn2      BatchNorm eps=1.0E-5                               -> [12, 7, 7]",
          "r2       ReLU6                                              -> [12, 7, 7]",
          "project  Conv2d 4 k=1x1 s=1x1 p=0,0,0,0 d=1x1 g=1 nobias    -> [4, 7, 7]",
          "bn3      BatchNorm eps=1.0E-5                               -> [4, 7, 7]",
          "add      Add <- bn3, (input)                                -> [4, 7, 7]",
          "mp       MaxPool k=2x2 s=2x2 p=0,0,0,0 ceil                 -> [4, 4, 4]",
          "ap       AvgPool k=3x3 s=2x2 p=1,1,1,1 nopadcount <- add    -> [4, 4, 4]",
          "sum      Add <- mp, ap                                      -> [4, 4, 4]",
          "tanh     Tanh                                               -> [4, 4, 4]");

  static final List<NetworkDef> ALL = List.of(RESIDUAL, INCEPTION, DENSE, MLP, MOBILE);

  // ---- the plans ----

  @Test
  void residualAddsFuseIntoTheConvolutionThatFeedsThem() throws IOException {
    CompiledNetwork net = withStatistics(RESIDUAL, 1);
    assertEquals(
        List.of(
            "conv1+bn1+relu1",
            "conv2+bn2+add+relu2",
            "b.conv1+b.bn1+b.relu1",
            "b.conv2+b.bn2", // its shortcut is computed after it: the Add fuses into that one
            "b.down.conv+b.down.bn+b.add+b.relu2",
            "c.conv+c.add",
            "gap",
            "fc"),
        net.plan());
    // Live at once at most: a block's input (the shortcut), its middle, and its output.
    assertTrue(net.buffers() <= 3, "buffers " + net.buffers());
  }

  @Test
  void concatOperandsAreWrittenInPlaceOrCopied() throws IOException {
    List<String> inception = withStatistics(INCEPTION, 1).plan();
    assertEquals(
        List.of(
            "stem+relu",
            "b1+b1r",
            "b2a+b2ar",
            "b2b+b2br",
            "b3p",
            "b3+b3r",
            "side:copy", // relu is read by four nodes: sigmoid may not change it
            "side",
            "cat2<-cat",
            "cat2<-side",
            "cat2<-(input)",
            "gap",
            "fc"),
        inception);
    List<String> dense = withStatistics(DENSE, 1).plan();
    assertEquals(
        List.of(
            "pre",
            "pcat<-(input)",
            "conv0",
            "d1.bn:copy",
            "d1.bn",
            "d1.relu",
            "d1.conv",
            "d1.cat<-conv0",
            "d2.bn:copy",
            "d2.bn",
            "d2.relu",
            "d2.conv",
            "d2.cat<-d1.cat",
            "t.bn",
            "t.relu",
            "t.conv",
            "t.pool",
            "fc"),
        dense);
  }

  @Test
  void flatAndDepthwiseGraphsArePlanned() throws IOException {
    assertEquals(
        List.of("fc1+bn1+relu1", "fc2+add", "r6:copy", "r6", "fc3+r6b", "fc4", "sm"),
        withStatistics(MLP, 1).plan());
    // The vector kernels run the inverted-residual block as one step; the scalar ones, layer by
    // layer.
    List<String> block =
        ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            ? List.of("expand+bn1+r1+dw+bn2+r2+project+bn3+add")
            : List.of("expand+bn1+r1", "dw+bn2+r2", "project+bn3+add");
    List<String> mobile = new java.util.ArrayList<>(block);
    mobile.addAll(List.of("mp", "ap", "sum+tanh"));
    assertEquals(mobile, withStatistics(MOBILE, 1).plan());
  }

  /** A chain needs two buffers, as the ping-pong it replaces; the last step writes the output. */
  @Test
  void chainsTakeTurnsInTwoBuffers() throws IOException {
    for (NetworkDef chain :
        List.of(
            CompiledNetworkPlanTest.LENET,
            CompiledNetworkPlanTest.FUSIONS,
            CompiledNetworkTest.SMALL)) {
      CompiledNetwork net = CompiledNetwork.random(chain, 1);
      assertTrue(net.buffers() <= 2, chain.name() + " buffers " + net.buffers());
      assertTrue(net.unfused().buffers() <= 2, chain.name() + " unfused " + net.buffers());
    }
  }

  @Test
  void unfusedPlansRunEveryNodeAlone() throws IOException {
    List<String> plan = withStatistics(RESIDUAL, 1).unfused().plan();
    assertTrue(plan.contains("bn2") && plan.contains("add") && plan.contains("relu2"), "" + plan);
    assertFalse(plan.stream().anyMatch(s -> s.contains("+")), "" + plan);
  }

  // ---- the results ----

  @Test
  void plannedEqualsThePlainWalkWithEveryKernelsBatchAndGraph() throws IOException {
    for (NetworkDef def : ALL) {
      CompiledNetwork loaded = withStatistics(def, 7);
      Map<String, Tensor> tensors = loaded.tensors();
      int size = def.input().size();
      for (Kernels kernels : new Kernels[] {ScalarKernels.INSTANCE, KernelProvider.kernels()}) {
        CompiledNetwork net = loaded.withKernels(kernels);
        for (int batch : new int[] {1, 3, 37}) {
          float[] x = CompiledNetworkTest.randoms(new Random(batch), batch * size);
          float[] expected = reference(def, tensors, x, batch);
          String what = def.name() + " " + kernels.name() + " batch " + batch;
          assertClose(expected, net.forward(x, batch), what);
          assertClose(expected, net.unfused().forward(x, batch), what + " unfused");
        }
      }
    }
  }

  /**
   * Kernels whose prepared layers are bare lambdas, which cannot write a slice or add a residual:
   * the planner wraps them, and the results are the same.
   */
  @Test
  void layersThatOnlyRunPlainAreWrapped() throws IOException {
    Kernels bare = new BareLayers();
    for (NetworkDef def : ALL) {
      CompiledNetwork net = withStatistics(def, 5).withKernels(bare);
      Map<String, Tensor> tensors = net.tensors();
      for (int batch : new int[] {1, 4}) {
        float[] x = CompiledNetworkTest.randoms(new Random(batch), batch * def.input().size());
        assertClose(reference(def, tensors, x, batch), net.forward(x, batch), def.name());
      }
    }
  }

  /** The scalar kernels, with prepared layers that only have the plain run. */
  private static final class BareLayers implements Kernels {
    private final ScalarKernels k = ScalarKernels.INSTANCE;

    @Override
    public String name() {
      return "bare";
    }

    @Override
    public PreparedLayer prepareConv2d(
        Conv2dGeometry g, float[] weight, float[] bias, Activation activation) {
      int size = g.outChannels() * g.outHeight() * g.outWidth();
      return (input, n, output) -> {
        k.conv2d(input, n, g, weight, bias, output);
        activation.apply(k, output, n * size);
      };
    }

    @Override
    public PreparedLayer prepareLinear(
        int inFeatures, int outFeatures, float[] weight, float[] bias, Activation activation) {
      return (input, n, output) -> {
        k.linear(input, n, inFeatures, weight, bias, outFeatures, output);
        activation.apply(k, output, n * outFeatures);
      };
    }

    @Override
    public void conv2d(
        float[] input, int n, Conv2dGeometry g, float[] weight, float[] bias, float[] output) {
      k.conv2d(input, n, g, weight, bias, output);
    }

    @Override
    public void maxPool2d(float[] input, int n, Pool2dGeometry g, float[] output) {
      k.maxPool2d(input, n, g, output);
    }

    @Override
    public void avgPool2d(
        float[] input, int n, Pool2dGeometry g, boolean countIncludePad, float[] output) {
      k.avgPool2d(input, n, g, countIncludePad, output);
    }

    @Override
    public void globalAvgPool(float[] input, int n, int channels, int spatial, float[] output) {
      k.globalAvgPool(input, n, channels, spatial, output);
    }

    @Override
    public void batchNorm(
        float[] x,
        int n,
        int channels,
        int spatial,
        float[] mean,
        float[] var,
        float[] weight,
        float[] bias,
        double eps) {
      k.batchNorm(x, n, channels, spatial, mean, var, weight, bias, eps);
    }

    @Override
    public void relu(float[] x, int length) {
      k.relu(x, length);
    }

    @Override
    public void sigmoid(float[] x, int length) {
      k.sigmoid(x, length);
    }

    @Override
    public void tanh(float[] x, int length) {
      k.tanh(x, length);
    }

    @Override
    public void softmax(float[] x, int n, int features) {
      k.softmax(x, n, features);
    }

    @Override
    public void linear(
        float[] input,
        int n,
        int inFeatures,
        float[] weight,
        float[] bias,
        int outFeatures,
        float[] output) {
      k.linear(input, n, inFeatures, weight, bias, outFeatures, output);
    }
  }

  @Test
  void severalThreadsAtOnceGetTheirOwnResults() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (NetworkDef def : ALL) {
        CompiledNetwork net = withStatistics(def, 3);
        Map<String, Tensor> tensors = net.tensors();
        int size = def.input().size();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int batch = 1 + 5 * (t % 4);
          float[] x = CompiledNetworkTest.randoms(new Random(100 + t), batch * size);
          float[] expected = reference(def, tensors, x, batch);
          tasks.add(
              () -> {
                for (int round = 0; round < 20; round++) {
                  assertClose(expected, net.forward(x, batch), def.name() + " batch " + batch);
                }
                return null;
              });
        }
        for (Future<Void> f : pool.invokeAll(tasks)) {
          f.get(); // rethrows a failed assertion
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void tablesRoundTripAndKeepTheChainView() {
    for (NetworkDef def : ALL) {
      Graph g = def.graph();
      NetworkDef again =
          NetworkDef.table(def.name(), g.input().dims(), g.rows().toArray(String[]::new));
      assertEquals(g, again.graph());
      assertEquals(g.nodes().size(), def.layers().size());
    }
    assertTrue(RESIDUAL.layers().get(5) instanceof LayerDef.Add);
    assertTrue(INCEPTION.layers().get(11) instanceof LayerDef.Concat);
    assertTrue(MOBILE.layers().get(2) instanceof LayerDef.ReLU6);
  }

  /** A chain from the builder, written as rows and read back, is the same network. */
  @Test
  void aBuiltChainAndItsTableRunAlike() throws IOException {
    CompiledNetwork built = CompiledNetworkTest.smallWithStatistics();
    Graph g = built.network().graph();
    NetworkDef table =
        NetworkDef.table(g.name(), g.input().dims(), g.rows().toArray(String[]::new));
    CompiledNetwork fromTable = CompiledNetwork.fromTensors(table, built.tensors());
    assertEquals(built.plan(), fromTable.plan());
    float[] x = CompiledNetworkTest.randoms(new Random(9), 3 * table.input().size());
    assertArrayEquals(built.forward(x, 3), fromTable.forward(x, 3));
  }

  // ---- helpers ----

  private static void assertClose(float[] expected, float[] actual, String what) {
    PlanFixtures.assertRelative(expected, actual, RELATIVE, what);
  }

  static CompiledNetwork withStatistics(NetworkDef def, long seed) throws IOException {
    return PlanFixtures.withStatistics(def, seed);
  }

  /**
   * The graph walked node by node with the scalar kernels, every output a new array: no folding,
   * fusion, slices, in-place work or buffer reuse. Add, Concat and ReLU6 are written out here.
   */
  static float[] reference(NetworkDef def, Map<String, Tensor> tensors, float[] x, int n) {
    ScalarKernels k = ScalarKernels.INSTANCE;
    Graph g = def.graph();
    List<float[]> values = new ArrayList<>();
    for (int i = 0; i < g.nodes().size(); i++) {
      Node node = g.nodes().get(i);
      List<float[]> ins = new ArrayList<>();
      for (int in : node.inputs()) {
        ins.add(in == Graph.INPUT ? x : values.get(in));
      }
      dev.stride.graph.Shape inShape = g.inputShapes(i).get(0);
      dev.stride.graph.Shape out = node.out();
      int outSize = (int) out.size();
      float[] y = new float[n * outSize];
      float[] a = ins.get(0);
      LayerKind kind = node.kind();
      String p = node.path();
      if (kind instanceof Conv2d c) {
        Conv2dGeometry geometry =
            new Conv2dGeometry(
                inShape.channels(),
                inShape.height(),
                inShape.width(),
                out.channels(),
                out.height(),
                out.width(),
                c.kernelH(),
                c.kernelW(),
                c.strideH(),
                c.strideW(),
                c.padTop(),
                c.padLeft(),
                c.dilationH(),
                c.dilationW(),
                c.groups());
        k.conv2d(a, n, geometry, data(tensors, p + ".weight"), data(tensors, p + ".bias"), y);
      } else if (kind instanceof Linear) {
        k.linear(
            a,
            n,
            (int) inShape.size(),
            data(tensors, p + ".weight"),
            data(tensors, p + ".bias"),
            outSize,
            y);
      } else if (kind instanceof MaxPool m) {
        k.maxPool2d(
            a,
            n,
            pool(
                inShape,
                out,
                m.kernelH(),
                m.kernelW(),
                m.strideH(),
                m.strideW(),
                m.padTop(),
                m.padBottom(),
                m.padLeft(),
                m.padRight()),
            y);
      } else if (kind instanceof AvgPool m) {
        k.avgPool2d(
            a,
            n,
            pool(
                inShape,
                out,
                m.kernelH(),
                m.kernelW(),
                m.strideH(),
                m.strideW(),
                m.padTop(),
                m.padBottom(),
                m.padLeft(),
                m.padRight()),
            m.countIncludePad(),
            y);
      } else if (kind instanceof dev.stride.graph.GlobalAvgPool) {
        k.globalAvgPool(a, n, inShape.channels(), inShape.height() * inShape.width(), y);
      } else if (kind instanceof dev.stride.graph.Add) {
        float[] b = ins.get(1);
        for (int j = 0; j < y.length; j++) {
          y[j] = a[j] + b[j];
        }
      } else if (kind instanceof dev.stride.graph.Concat) {
        int spatial = out.height() * out.width();
        int offset = 0;
        for (int o = 0; o < ins.size(); o++) {
          int channels = g.inputShapes(i).get(o).channels();
          for (int s = 0; s < n; s++) {
            System.arraycopy(
                ins.get(o),
                s * channels * spatial,
                y,
                (s * out.channels() + offset) * spatial,
                channels * spatial);
          }
          offset += channels;
        }
      } else {
        System.arraycopy(a, 0, y, 0, y.length);
        if (kind instanceof BatchNorm bn) {
          k.batchNorm(
              y,
              n,
              inShape.channels(),
              inShape.height() * inShape.width(),
              data(tensors, p + ".running_mean"),
              data(tensors, p + ".running_var"),
              data(tensors, p + ".weight"),
              data(tensors, p + ".bias"),
              bn.eps());
        } else if (kind instanceof dev.stride.graph.ReLU) {
          k.relu(y, y.length);
        } else if (kind instanceof dev.stride.graph.ReLU6) {
          for (int j = 0; j < y.length; j++) {
            y[j] = Math.min(Math.max(y[j], 0f), 6f);
          }
        } else if (kind instanceof dev.stride.graph.Sigmoid) {
          k.sigmoid(y, y.length);
        } else if (kind instanceof dev.stride.graph.Tanh) {
          k.tanh(y, y.length);
        } else if (kind instanceof dev.stride.graph.Softmax) {
          k.softmax(y, n, outSize);
        } // Flatten and Dropout: the copy
      }
      values.add(y);
    }
    return values.get(values.size() - 1);
  }

  private static Pool2dGeometry pool(
      dev.stride.graph.Shape in,
      dev.stride.graph.Shape out,
      int kh,
      int kw,
      int sh,
      int sw,
      int pt,
      int pb,
      int pl,
      int pr) {
    return new Pool2dGeometry(
        in.channels(),
        in.height(),
        in.width(),
        out.height(),
        out.width(),
        kh,
        kw,
        sh,
        sw,
        pt,
        pb,
        pl,
        pr);
  }

  private static float[] data(Map<String, Tensor> tensors, String name) {
    Tensor t = tensors.get(name);
    return t == null ? null : t.data();
  }
}
