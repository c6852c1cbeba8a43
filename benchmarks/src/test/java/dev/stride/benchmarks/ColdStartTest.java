package dev.stride.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ColdStartTest {
  /** Passes of {@code ms} each from {@code start} until {@code end}, appended to {@code out}. */
  private static double passes(List<double[]> out, double start, double end, double ms) {
    double t = start;
    while (t + ms <= end) {
      t += ms;
      out.add(new double[] {t, ms});
    }
    return t;
  }

  @Test
  void settlesWhereThePassTimeStopsComingDown() {
    List<double[]> p = new ArrayList<>();
    double t = passes(p, 0, 2000, 10);
    passes(p, t, 12000, 1);
    // From 1.9 s on, each second's mean is within 10% of 1 ms: at most 10 passes of 10 ms in it.
    assertEquals(1900, ColdStart.settledAt(p), 100);
  }

  @Test
  void aSlowPassOrTimeSliceDoesNotResetTheClock() {
    List<double[]> p = new ArrayList<>();
    double t = passes(p, 0, 1000, 10);
    t = passes(p, t, 6000, 1);
    t = passes(p, t, t + 30, 30);
    passes(p, t, 12000, 1);
    assertEquals(900, ColdStart.settledAt(p), 100);
  }

  @Test
  void theMachineSlowingLaterIsNotWarmUp() {
    List<double[]> p = new ArrayList<>();
    double t = passes(p, 0, 1000, 10);
    t = passes(p, t, 6000, 1);
    passes(p, t, 12000, 1.5);
    assertEquals(900, ColdStart.settledAt(p), 100);
  }

  @Test
  void passesStillComingDownAtTheEndSettleOnlyThere() {
    List<double[]> p = new ArrayList<>();
    double t = 0;
    for (int s = 0; s < 10; s++) {
      t = passes(p, t, (s + 1) * 1000, 10 - 0.8 * s);
    }
    assertEquals(p.get(p.size() - 1)[0], ColdStart.settledAt(p));
  }

  @Test
  void oneResultOnlySettlesAtIt() {
    List<double[]> p = List.<double[]>of(new double[] {500, 500});
    assertEquals(500, ColdStart.settledAt(p));
  }
}
