#!/usr/bin/env bash
# Two commits (or two benchmarks jars) of Stride, one model, one JVM, alternating time slices:
# prints each build's median time per batch and the ratio B/A (see AbCompare's Javadoc for why).
#
# Run:   benchmarks/ab.sh REV_A REV_B [AlexNet|LeNet] [BATCH] [ROUNDS] [SLICE_MS]
#        benchmarks/ab.sh 5296b0e HEAD AlexNet 1            # before/after a change, batch 1
#        benchmarks/ab.sh old.jar new.jar LeNet 256 30 300  # jars built elsewhere
# A revision is built once, with Maven offline when it can be, in a git worktree under
# benchmarks/target/ab/<commit>/ (uncommitted changes are not in it: commit first, or pass a jar).
# Takes: ~1 min per build, then 3 s warm-up per side and ROUNDS x 2 x SLICE_MS (default 20 x 2 x
# 500 ms).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
NET=${3:-AlexNet}
BATCH=${4:-1}
ROUNDS=${5:-20}
SLICE=${6:-500}
JAVA=${JAVA:-java}

jar_for() {
  local rev=$1
  if [[ -f "$rev" ]]; then
    realpath "$rev"
    return
  fi
  local commit
  commit=$(git rev-parse --short "$rev")
  local dir="$ROOT/benchmarks/target/ab/$commit"
  if [[ ! -f "$dir/benchmarks/target/benchmarks.jar" ]]; then
    rm -rf "$dir"
    git worktree add -f --detach "$dir" "$commit" >/dev/null 2>&1
    # Build into the worktree only (package, never install: ~/.m2 keeps the checkout's artifacts).
    (cd "$dir" && { mvn -q -o -pl benchmarks -am package -DskipTests -Dspotless.check.skip=true \
      || mvn -q -pl benchmarks -am package -DskipTests -Dspotless.check.skip=true; }) >&2
  fi
  echo "$dir/benchmarks/target/benchmarks.jar"
}

A=$(jar_for "$1")
B=$(jar_for "$2")
# The tool itself comes from this checkout's jar; build it if missing.
TOOL="$ROOT/benchmarks/target/benchmarks.jar"
if [[ ! -f "$TOOL" ]]; then
  mvn -q -o -pl benchmarks -am package -DskipTests || mvn -q -pl benchmarks -am package -DskipTests
fi
echo "== Machine: $(nproc) processors; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" --add-modules jdk.incubator.vector -cp "$TOOL" dev.stride.benchmarks.AbCompare \
  "$A" "$B" "dev.stride.example.${NET}Model" "$BATCH" "$ROUNDS" "$SLICE" 2>&1 \
  | grep -v '^WARNING: Using incubator modules'
