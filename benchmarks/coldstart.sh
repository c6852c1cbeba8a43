#!/usr/bin/env bash
# Cold start: Stride vs ONNX Runtime, each in fresh JVMs, as a command-line tool or a serverless
# function pays it on every start. Per run and network, one JVM loads the weights from a file and
# classifies one image (Stride: safetensors; ONNX Runtime: session creation from the same network's
# .onnx, then the first run), then keeps running batch-1 passes for SECONDS; the engines alternate.
#
# Prints, per engine and network, medians over the runs of: ms to load, ms from JVM start to the
# first result, ms from JVM start until the passes settled (from there on, no second of passes more
# than 10% slower by its mean than the slowest second of the last third; see ColdStart.settledAt),
# and the steady pass time (median of the last third); then Stride's first result over ONNX Runtime's, and
# Stride's settling time in its slowest run against the goal of 5 s.
#
# Run:   benchmarks/coldstart.sh [RUNS] [SECONDS]       # default 5 runs, 15 s of passes each
#        SKIP_BUILD=1 benchmarks/coldstart.sh 3 10     # reuse benchmarks/target/benchmarks.jar
#        STRIDE_OPTS="-XX:SharedArchiveFile=stride.jsa" benchmarks/coldstart.sh   # extra flags
#        JAR=/tmp/other.jar SKIP_BUILD=1 benchmarks/coldstart.sh 3 6   # another build's jar
# Needs: JDK 17 and Maven, as compare.sh. Files: benchmarks/target/coldstart/.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${1:-5}
SECONDS_=${2:-15}
THREADS=${THREADS:-2}
DIR="$ROOT/benchmarks/target/coldstart"
JAR=${JAR:-"$ROOT/benchmarks/target/benchmarks.jar"}
JAVA=${JAVA:-java}
STRIDE_OPTS=${STRIDE_OPTS:-}

if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -q -o -pl benchmarks -am package -DskipTests 2>/dev/null \
    || mvn -q -pl benchmarks -am package -DskipTests || exit 1
fi
mkdir -p "$DIR"
if [[ ! -f "$DIR/alexnet.onnx" ]]; then
  "$JAVA" -cp "$JAR" dev.stride.benchmarks.ColdStart prepare "$DIR" || exit 1
fi
echo "== Machine: $(nproc) processors, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) (should be near 0)"
echo "== $RUNS runs x 2 networks x 2 engines, $SECONDS_ s of passes each, $THREADS threads"
TSV="$DIR/results.tsv"
: >"$TSV"
for ((run = 1; run <= RUNS; run++)); do
  for net in AlexNet LeNet; do
    # Alternate who goes first, so a drift in the machine's load falls on both.
    if ((run % 2)); then order="stride ort"; else order="ort stride"; fi
    for engine in $order; do
      if [[ $engine == stride ]]; then
        # shellcheck disable=SC2086
        "$JAVA" --add-modules jdk.incubator.vector -Dstride.threads="$THREADS" $STRIDE_OPTS \
          -cp "$JAR" dev.stride.benchmarks.ColdStart stride "$net" "$DIR" "$SECONDS_" "$THREADS" \
          2>/dev/null | tee -a "$TSV"
      else
        "$JAVA" -cp "$JAR" dev.stride.benchmarks.ColdStart ort "$net" "$DIR" "$SECONDS_" "$THREADS" \
          2>/dev/null | tee -a "$TSV"
      fi
    done
  done
done
echo
echo "| network | engine | load ms | first result ms | settled at ms | steady pass ms |"
echo "|---|---|---:|---:|---:|---:|"
for net in AlexNet LeNet; do
  for engine in stride ort; do
    awk -F'\t' -v n="$net" -v e="$engine" '
      function median(a, k,   i, j, t) {
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
      }
      $1 == e && $2 == n { k++; l[k] = $3; f[k] = $4; s[k] = $5; p[k] = $6 }
      END { if (k) printf "| %s | %s | %.0f | %.0f | %.0f | %.2f |\n", n, e == "ort" ? "ONNX Runtime" : "Stride", median(l, k), median(f, k), median(s, k), median(p, k) }
    ' "$TSV"
  done
done
echo
awk -F'\t' '
  function median(a, k,   i, j, t) {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  { key = $1 "/" $2; n[key]++; v[key, n[key]] = $4 }
  END {
    split("AlexNet LeNet", nets, " ")
    for (i = 1; i <= 2; i++) {
      ks = n["stride/" nets[i]]; ko = n["ort/" nets[i]]
      if (!ks || !ko) continue
      for (j = 1; j <= ks; j++) a[j] = v["stride/" nets[i], j]
      ms = median(a, ks)
      for (j = 1; j <= ko; j++) b[j] = v["ort/" nets[i], j]
      mo = median(b, ko)
      printf "%s: first result Stride / ONNX Runtime = %.2fx (goal <= 2x)\n", nets[i], ms / mo
    }
  }' "$TSV"
# The steady-state goal: each run's passes settled (ColdStart.settledAt) within 5 s of the JVM's
# start; the worst run counts, not the median. A run that settled only within its last third
# reports the end of its window.
awk -F'\t' -v secs="$SECONDS_" '
  $1 == "stride" { k = $2; n[k]++; if ($5 > worst[k]) worst[k] = $5; if ($5 >= $4 + 990 * secs) late[k]++ }
  END {
    split("AlexNet LeNet", nets, " ")
    for (i = 1; i <= 2; i++) {
      k = nets[i]
      if (!n[k]) continue
      printf "%s: Stride settled at %.0f ms in the slowest of %d runs (goal <= 5000 ms%s)\n", \
        k, worst[k], n[k], late[k] ? "; " late[k] " settled only at the end of the window" : ""
    }
  }' "$TSV"
