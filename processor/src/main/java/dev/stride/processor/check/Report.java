package dev.stride.processor.check;

import dev.stride.processor.model.NetworkPlan;
import java.util.List;
import javax.tools.Diagnostic.Kind;

/**
 * What the checker found: the diagnostics in source order and, only when none is an error, the plan
 * to generate.
 *
 * @param findings errors and warnings
 * @param plan the checked network, or null when there is an error
 */
public record Report(List<Finding> findings, NetworkPlan plan) {
  /** Copies the list. */
  public Report {
    findings = List.copyOf(findings);
  }

  /** Whether any finding is an error. */
  public boolean hasErrors() {
    return findings.stream().anyMatch(f -> f.message().kind() == Kind.ERROR);
  }
}
