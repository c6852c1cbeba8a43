package dev.stride.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.stride.runtime.Model;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * AlexNet at batch 32 and 1, then LeNet at 256 and 1, in one JVM, as a service holding both models
 * would run them: milliseconds and bytes allocated (by all threads) per forward pass over the last
 * ten passes of each. Steady state allocates a few KB; JDK 17's C2 sometimes compiles Vector API
 * code with vectors boxed, which shows as hundreds of KB or megabytes per pass, and which state a
 * run falls into varies from run to run, so run it several times. The runtime's profile seeding
 * prevents those states; {@code -Dstride.seedProfiles=false} shows them (see
 * docs/performance-notes.md).
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.stride.benchmarks.JitStates}
 */
public final class JitStates {
  private JitStates() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("stride.threads") == null) {
      System.setProperty("stride.threads", "2");
    }
    StringBuilder line = new StringBuilder();
    line.append(pass("dev.stride.example.AlexNetModel", 32, 25, "AlexNet b32"));
    line.append(pass("dev.stride.example.AlexNetModel", 1, 200, "AlexNet b1"));
    line.append(pass("dev.stride.example.LeNetModel", 256, 400, "LeNet b256"));
    line.append(pass("dev.stride.example.LeNetModel", 1, 20000, "LeNet b1"));
    System.out.println(line.toString().trim());
  }

  private static long allocated() {
    ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
      sum += Math.max(0, b);
    }
    return sum;
  }

  private static String pass(String modelClass, int batch, int passes, String label)
      throws Exception {
    Class<?> c = Class.forName(modelClass);
    Model model = (Model) c.getMethod("random", long.class).invoke(null, 1L);
    int in = (int) c.getField("INPUT_SIZE").get(null);
    int out = (int) c.getField("OUTPUT_SIZE").get(null);
    float[] input = Compare.randomInput(batch * in, 7);
    float[] output = new float[batch * out];
    long bytes = 0;
    long t0 = 0;
    for (int p = 0; p < passes; p++) {
      if (p == passes - 10) {
        bytes = allocated();
        t0 = System.nanoTime();
      }
      model.forward(input, batch, output);
    }
    double ms = (System.nanoTime() - t0) / 1e6 / 10;
    return String.format(
        Locale.ROOT, "%s: %.2f ms, %d B per pass;  ", label, ms, (allocated() - bytes) / 10);
  }
}
