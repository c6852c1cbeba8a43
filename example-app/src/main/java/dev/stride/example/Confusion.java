package dev.stride.example;

import java.util.List;
import java.util.Locale;

/** A confusion matrix: {@code counts[true][predicted]}. */
public final class Confusion {
  private final List<String> classes;
  private final int[][] counts;
  private int total;

  /** An empty matrix over {@code classes}. */
  public Confusion(List<String> classes) {
    this.classes = List.copyOf(classes);
    this.counts = new int[classes.size()][classes.size()];
  }

  /** Counts one prediction. */
  public void add(int truth, int predicted) {
    counts[truth][predicted]++;
    total++;
  }

  /** How many predictions of {@code truth} were {@code predicted}. */
  public int count(int truth, int predicted) {
    return counts[truth][predicted];
  }

  /** The fraction of predictions that were right. */
  public double accuracy() {
    int right = 0;
    for (int c = 0; c < counts.length; c++) {
      right += counts[c][c];
    }
    return total == 0 ? 0 : right / (double) total;
  }

  /** The fraction of images of class {@code c} predicted as {@code c} (recall). */
  public double accuracy(int c) {
    int all = 0;
    for (int p : counts[c]) {
      all += p;
    }
    return all == 0 ? 0 : counts[c][c] / (double) all;
  }

  /** Per-class accuracy, one line a class. */
  public String perClassTable() {
    StringBuilder s = new StringBuilder();
    for (int c = 0; c < classes.size(); c++) {
      int all = 0;
      for (int p : counts[c]) {
        all += p;
      }
      s.append(
          String.format(
              Locale.ROOT,
              "  %-10s %6.2f%%  (%d of %d)%n",
              classes.get(c),
              100 * accuracy(c),
              counts[c][c],
              all));
    }
    return s.toString();
  }

  /** The matrix with rows as true classes and columns as predictions. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-12s", "true \\ pred"));
    for (int p = 0; p < classes.size(); p++) {
      s.append(String.format(Locale.ROOT, "%6s", abbreviate(classes.get(p))));
    }
    s.append('\n');
    for (int t = 0; t < classes.size(); t++) {
      s.append(String.format(Locale.ROOT, "%-12s", classes.get(t)));
      for (int p = 0; p < classes.size(); p++) {
        s.append(String.format(Locale.ROOT, "%6d", counts[t][p]));
      }
      s.append('\n');
    }
    return s.toString();
  }

  private static String abbreviate(String name) {
    return name.length() <= 5 ? name : name.substring(0, 5);
  }
}
