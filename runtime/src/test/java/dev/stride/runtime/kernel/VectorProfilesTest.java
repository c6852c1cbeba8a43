package dev.stride.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The profile seeding run when the vector kernels load: its switch, and that one round applies
 * every operator it lists (a scalar replay of the round gives the same sum), so no list is empty
 * and no operation is skipped.
 */
class VectorProfilesTest {
  private Class<?> profiles;

  @BeforeEach
  void needsVectorModule() throws ClassNotFoundException {
    VectorLayers.assumeVectorModule();
    profiles = Class.forName("dev.stride.runtime.kernel.VectorProfiles");
  }

  private boolean enabled(String property) throws ReflectiveOperationException {
    Method m = profiles.getDeclaredMethod("enabled", String.class);
    m.setAccessible(true);
    return (boolean) m.invoke(null, property);
  }

  @Test
  void onUnlessThePropertySaysFalse() throws Exception {
    assertTrue(enabled(null));
    assertTrue(enabled("true"));
    assertFalse(enabled("false"));
    assertFalse(enabled("FALSE"));
  }

  @Test
  void oneRoundAppliesEveryOperator() throws Exception {
    Method seed = profiles.getDeclaredMethod("seed", int.class);
    seed.setAccessible(true);
    Method lanes = profiles.getDeclaredMethod("lanes");
    lanes.setAccessible(true);
    double expected = scalarRound((int) lanes.invoke(null));
    // Lane by lane the same float operations in the same order, so the same bits; only the sum over
    // lanes (reduceLanes in the vector's order, here in double) may differ, by far less than 0.01.
    assertEquals(expected, (double) seed.invoke(null, 1), 1e-2);
  }

  /** {@code VectorProfiles.seed(1)} lane by lane. */
  private static double scalarRound(int lanes) {
    float[] acc = new float[lanes];
    for (int i = 0; i < lanes; i++) {
      float x = 1f + i / 64f;
      float y = 1f + (lanes + i) / 64f;
      float c = 0.75f;
      float v = Math.fma(x, y, y);
      v = v + (x + y) + (x + c);
      v = v + (x - y) + (x - c);
      v = v + (x * y) + (x * c);
      v = v + (x / y) + (x / c);
      v = v + Math.max(x, y) + Math.max(x, c);
      v = v + Math.min(x, y) + Math.min(x, c);
      v = v + -y + Math.abs(y) + (float) Math.sqrt(y);
      v = v + (x < y ? y : x) + (y < 1.25f ? x : y);
      v = v + (x > y ? y : x) + (y > 1.25f ? x : y);
      v = v + (x <= y ? y : x) + (y <= 1.25f ? x : y);
      v = v + (x == y ? y : x) + (y == 1.25f ? x : y);
      acc[i] = v;
    }
    double sum = 0;
    float max = Float.NEGATIVE_INFINITY;
    float min = Float.POSITIVE_INFINITY;
    for (float v : acc) {
      sum += v;
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    sum += max + min;
    int bits = Float.floatToRawIntBits(acc[0]);
    int ints = (bits + 1) + (bits - 1) + (bits & 1) + (bits | 1) + (bits << 1);
    return sum + acc[0] + ints;
  }
}
