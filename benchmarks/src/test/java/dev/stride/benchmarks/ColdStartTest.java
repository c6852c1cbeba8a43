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
  void theSteadyStatesOwnSlowSecondsAreNotWarmUp() {
    List<double[]> p = new ArrayList<>();
    double t = passes(p, 0, 1000, 10);
    for (int s = 1; s < 12; s++) {
      t = passes(p, t, (s + 1) * 1000, s % 2 == 0 ? 1 : 1.5);
    }
    // The window from 0.9 s: 10 passes of 10 ms, 600 of 1.5 ms, a mean of 1.64 ms (1.5 + 9.5%).
    assertEquals(900, ColdStart.settledAt(p), 100);
  }

  @Test
  void aLateWarmUpIsSeen() {
    List<double[]> p = new ArrayList<>();
    double t = passes(p, 0, 7500, 10);
    passes(p, t, 12000, 1);
    assertEquals(7400, ColdStart.settledAt(p), 100);
  }

  @Test
  void oneResultOnlySettlesAtIt() {
    List<double[]> p = List.<double[]>of(new double[] {500, 500});
    assertEquals(500, ColdStart.settledAt(p));
  }
}
