#!/usr/bin/env bash
# Stride vs ONNX Runtime (and vs PyTorch) on AlexNet, LeNet, ResNet-18 and MobileNetV2: one command, one table.
#
# What it does: builds the benchmarks jar, then runs dev.stride.benchmarks.Compare on JDK 17 (as
# users get it, then with -Dstride.winograd=false) and,
# if present, on JDK 25 (each: same random weights exported to ONNX, outputs checked equal within
# 1e-4 of the output's scale, then alternating timed rounds of Stride and ONNX Runtime, 2 threads
# each), then benchmarks/torch_bench.py on Debian's python3-torch if it imports, and prints one
# Markdown table: images/s, GFLOP/s, % of the machine's peak, Stride/ORT ratios and the targets.
#
# Needs: JDK 17 and Maven (dependencies from Maven Central or ~/.m2: JMH, onnxruntime 1.20.0);
#        optional: /usr/lib/jvm/temurin-25-jdk-amd64 (JDK 25 rows; or set JAVA25=...),
#        /usr/bin/python3 with python3-torch and numpy (PyTorch rows; for OpenBLAS in its Linear
#        layers, apt-get install libopenblas0, otherwise it uses reference BLAS).
# Takes: with fast kernels, 7 cases x 9 rounds x >= 1 s per engine, per JDK, plus PyTorch (the
#        three block cases alone, --rounds 3, took 8.5 minutes on a loaded 2-core machine). With
#        the scalar kernels AlexNet batch 32 is ~30 s per batch, so a full run takes ~15 min per
#        JDK; use --quick (3 rounds of >= 0.3 s: ~10 min in all with scalar kernels).
# Run:   benchmarks/compare.sh                      # from anywhere inside the repository
#        benchmarks/compare.sh --quick              # smoke test
#        benchmarks/compare.sh --cases lenet-1,lenet-256 --rounds 11
#        SKIP_BUILD=1 benchmarks/compare.sh         # reuse benchmarks/target/benchmarks.jar
#        STRIDE_JAVA_OPTS="-XX:UseAVX=2" benchmarks/compare.sh   # extra JVM flags: AVX2 on AVX-512
# Prints: the CPU, AVX-512 yes/no, the species, GEMM tile and blocking, and each JVM's measured FMA
#        peak (the "% of peak" column is of that, not of a data sheet's number).
# Options (passed to Compare and torch_bench.py alike): --quick, --rounds N, --round-seconds S,
#        --warmup-seconds S, --cases NET-BATCH,..., --threads N (default 2).
# Files: benchmarks/target/compare/ holds the .onnx, .safetensors, layer tables and results.tsv.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR="$ROOT/benchmarks/target/compare"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
TSV="$DIR/results.tsv"
THREADS=2
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ "${args[i]}" == "--threads" ]]; then THREADS="${args[i + 1]}"; fi
done

if [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
  JAVA17=${JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
else
  JAVA17=${JAVA17:-java}
fi
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
PYTHON=${PYTHON:-/usr/bin/python3}

if [[ -z "${SKIP_BUILD:-}" ]]; then
  echo "== Building benchmarks/target/benchmarks.jar"
  # Offline first (shared ~/.m2), then online for a first run; never mvn install.
  mvn -q -o -pl benchmarks -am package -DskipTests 2>/dev/null \
    || mvn -q -pl benchmarks -am package -DskipTests || exit 1
fi
mkdir -p "$DIR"
: >"$TSV"
status=0

# Same machine, same moment: say what it was.
echo "== Machine: $(nproc) processors, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
  "AVX-512: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no); commit $(git rev-parse --short HEAD 2>/dev/null);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (should be near 0: anything else running skews the numbers)"

run_java() { # $1 = java binary, then extra JVM flags
  local java=$1
  shift
  # shellcheck disable=SC2086
  "$java" --add-modules jdk.incubator.vector -Dstride.threads="$THREADS" ${STRIDE_JAVA_OPTS:-} "$@" \
    -cp "$JAR" dev.stride.benchmarks.Compare --dir "$DIR" --tsv "$TSV" "${args[@]}" || status=1
}

echo "== JDK 17: $("$JAVA17" -version 2>&1 | head -1)"
run_java "$JAVA17"
# Winograd convolutions are on by default (docs/performance.md): measure JDK 17 with them
# switched off as well, every convolution on the im2col GEMM.
echo "== JDK 17 with -Dstride.winograd=false"
run_java "$JAVA17" -Dstride.winograd=false

if [[ -x "$JAVA25" ]]; then
  echo "== JDK 25: $("$JAVA25" -version 2>&1 | head -1)"
  run_java "$JAVA25" --enable-native-access=ALL-UNNAMED
else
  echo "== JDK 25: not found at $JAVA25 (set JAVA25=...); skipped"
fi

if "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "== PyTorch: $PYTHON"
  # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine for other work; they go
  # together, so both are unset, for this command only.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$ROOT/benchmarks/torch_bench.py" \
    --dir "$DIR" --tsv "$TSV" "${args[@]}" || status=1
else
  echo "== PyTorch: '$PYTHON -c \"import torch\"' fails (apt-get install python3-torch); skipped"
fi

echo
echo "== All runs (ratios against ONNX Runtime in the same JVM; PyTorch's against JDK 17's ORT)"
echo
"$JAVA17" -cp "$JAR" dev.stride.benchmarks.Compare --combine "$TSV" || status=1
exit $status
