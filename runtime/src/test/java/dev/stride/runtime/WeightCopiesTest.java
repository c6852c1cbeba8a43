package dev.stride.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.runtime.kernel.KernelProvider;
import dev.stride.runtime.kernel.ScalarKernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One copy of each weight: a loaded network lets go of the arrays its layers hold in a layout of
 * their own, and still gives back exactly the tensors it was loaded from. Runs with the kernels the
 * JVM picks: scalar in the default test run, vector in the run with the module.
 */
class WeightCopiesTest {
  @TempDir Path dir;

  /**
   * A layer of each prepared kind the vector kernels have: a wide convolution (c1), a Winograd one
   * with a second tiling for large batches (c2), a depthwise one (c3), a packed 1x1 one with a
   * BatchNorm folded in (c4), and linear layers.
   */
  static final NetworkDef NET =
      NetworkDef.builder("Copies", 3, 12, 12)
          .conv2d("c1", 16, 12, 12, k(3), s(1), p(1), s(1), 1, true)
          .relu("r1")
          .conv2d("c2", 32, 12, 12, k(3), s(1), p(1), s(1), 1, true)
          .conv2d("c3", 32, 12, 12, k(3), s(1), p(1), s(1), 32, false)
          .conv2d("c4", 40, 12, 12, k(1), s(1), p(0), s(1), 1, false)
          .batchNorm("bn4", 1e-5)
          .relu("r4")
          .maxPool("pool", 6, 6, k(2), s(2), p(0))
          .flatten("flat")
          .linear("fc1", 48, true) // whole tiles of every GEMM geometry: packed in place
          .relu("r5")
          .linear("fc2", 7, true)
          .build();

  /**
   * What a network must keep as loaded: biases, BatchNorm's tensors and a weight BN is folded in.
   */
  static final Set<String> KEPT_WITH_VECTOR_KERNELS =
      Set.of(
          "c1.bias",
          "c2.bias",
          "c4.weight",
          "bn4.weight",
          "bn4.bias",
          "bn4.running_mean",
          "bn4.running_var",
          "fc1.bias",
          "fc2.bias");

  static int[] k(int size) {
    return NetworkDef.kernel(size, size);
  }

  static int[] s(int size) {
    return NetworkDef.stride(size, size);
  }

  static int[] p(int pad) {
    return NetworkDef.padding(pad, pad, pad, pad);
  }

  /** Random weights, with BatchNorm statistics that are not the identity, saved to a file. */
  Path saved() throws IOException {
    Map<String, Tensor> t = CompiledNetwork.random(NET, 11).tensors();
    Random r = new Random(3);
    for (String name : List.of("bn4.weight", "bn4.bias", "bn4.running_mean", "bn4.running_var")) {
      float[] v = t.get(name).data();
      for (int i = 0; i < v.length; i++) {
        v[i] = name.endsWith("var") ? 0.5f + r.nextFloat() : (float) r.nextGaussian();
      }
    }
    Path file = dir.resolve("copies.safetensors");
    Safetensors.write(file, t);
    return file;
  }

  static void assertSameBits(Map<String, Tensor> expected, Map<String, Tensor> actual) {
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
    for (String name : expected.keySet()) {
      assertArrayEquals(expected.get(name).shape(), actual.get(name).shape(), name);
      float[] a = expected.get(name).data();
      float[] b = actual.get(name).data();
      assertEquals(a.length, b.length, name);
      for (int i = 0; i < a.length; i++) {
        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
          throw new AssertionError(name + "[" + i + "]: expected " + a[i] + ", got " + b[i]);
        }
      }
    }
  }

  static float[] input(int batch) {
    Random r = new Random(batch);
    float[] x = new float[batch * NET.input().size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  @Test
  void tensorsAfterLoadAreTheFilesBitForBit() throws IOException {
    Path file = saved();
    Map<String, Tensor> expected = Safetensors.read(file);
    CompiledNetwork net = CompiledNetwork.load(NET, file);
    assertSameBits(expected, net.tensors());
    // A large batch makes the Winograd layer's second tiling; the weights stay as they were.
    net.forward(input(8), 8);
    assertSameBits(expected, net.tensors());
    assertSameBits(expected, net.withKernels(ScalarKernels.INSTANCE).tensors());
    Path again = dir.resolve("again.safetensors");
    net.save(again);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
  }

  @Test
  void fromTensorsAndRandomGiveBackTheirTensors() throws IOException {
    Map<String, Tensor> expected = Safetensors.read(saved());
    Map<String, Tensor> given = new LinkedHashMap<>(expected);
    assertSameBits(expected, CompiledNetwork.fromTensors(NET, given).tensors());
    CompiledNetwork random = CompiledNetwork.random(NET, 5);
    assertSameBits(random.tensors(), random.withKernels(ScalarKernels.INSTANCE).tensors());
  }

  @Test
  void layersHoldTheOnlyCopyOfTheirWeights() throws IOException {
    CompiledNetwork net = CompiledNetwork.load(NET, saved());
    Set<String> all = Set.copyOf(net.tensors().keySet());
    if (KernelProvider.kernels().name().equals("vector")) {
      assertEquals(KEPT_WITH_VECTOR_KERNELS, net.keptTensors());
      // Nothing folded: c4 holds its own weight too.
      Set<String> unfolded = new java.util.HashSet<>(KEPT_WITH_VECTOR_KERNELS);
      unfolded.remove("c4.weight");
      assertEquals(unfolded, net.unfused().keptTensors());
    } else {
      // The plain kernels compute from PyTorch's layout: the network's copy is the only one.
      assertEquals(all, net.keptTensors());
      assertEquals(all, net.unfused().keptTensors());
    }
  }

  @Test
  void reloadedNetworkComputesAsTheOneItWasSavedFrom() throws IOException {
    Path file = saved();
    CompiledNetwork net = CompiledNetwork.load(NET, file);
    Path copy = dir.resolve("copy.safetensors");
    net.save(copy);
    CompiledNetwork back = CompiledNetwork.load(NET, copy);
    for (int batch : new int[] {1, 3, 8}) {
      float[] x = input(batch);
      assertArrayEquals(net.forward(x, batch), back.forward(x, batch));
    }
    float[] x = input(8);
    float[] fast = net.forward(x, 8);
    float[] plain = net.withKernels(ScalarKernels.INSTANCE).forward(x, 8);
    float scale = 0;
    for (float v : plain) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < fast.length; i++) {
      assertTrue(Math.abs(fast[i] - plain[i]) <= 1e-4f * scale, "output " + i);
    }
  }
}
