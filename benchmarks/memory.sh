#!/usr/bin/env bash
# The smallest heap (-Xmx) in which Stride loads AlexNet's weights and classifies one image, from
# safetensors and from a torch.save file: a bisection over fresh JVMs, each running
# `ColdStart stride AlexNet FILE 0` (load, one batch-1 pass, exit) with the vector kernels.
#
# Run:   benchmarks/memory.sh [NET] [STEP_MB]       # default AlexNet, 8 MB resolution
#        SKIP_BUILD=1 benchmarks/memory.sh LeNet 1
# Needs: JDK 17 and Maven; /usr/bin/python3 with torch (python3-torch) to write the .pt file from
#        the safetensors one (without it, only safetensors is measured).
# Takes: about 8 JVM runs per format, each a few seconds.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
NET=${1:-AlexNet}
STEP=${2:-8}
DIR="$ROOT/benchmarks/target/coldstart"
# JAR may name other builds, e.g. JAR=old.jar:new.jar (ColdStart from the second) for a before.
JAR=${JAR:-"$ROOT/benchmarks/target/benchmarks.jar"}
JAVA=${JAVA:-java}
PYTHON=${PYTHON:-/usr/bin/python3}
base=$(echo "$NET" | tr '[:upper:]' '[:lower:]')

if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -q -o -pl benchmarks -am package -DskipTests 2>/dev/null \
    || mvn -q -pl benchmarks -am package -DskipTests || exit 1
fi
mkdir -p "$DIR"
if [[ ! -f "$DIR/$base.safetensors" ]]; then
  "$JAVA" -cp "$JAR" dev.stride.benchmarks.ColdStart prepare "$DIR" 2>/dev/null || exit 1
fi
files=("$DIR/$base.safetensors")
if [[ ! -f "$DIR/$base.pt" ]] && "$PYTHON" -c "import torch" 2>/dev/null; then
  # The same tensors under the same names, as torch.save writes a state_dict.
  "$PYTHON" - "$DIR/$base.safetensors" "$DIR/$base.pt" <<'PY'
import json, struct, sys, collections
import numpy as np, torch
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
state = collections.OrderedDict()
for name, info in header.items():
    if name == "__metadata__":
        continue
    a, b = info["data_offsets"]
    values = np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"])
    state[name] = torch.from_numpy(values.copy())
torch.save(state, sys.argv[2])
PY
fi
[[ -f "$DIR/$base.pt" ]] && files+=("$DIR/$base.pt")

runs() { # $1 = heap MB, $2 = file: whether load + one pass succeed
  "$JAVA" -Xmx"$1"m --add-modules jdk.incubator.vector -Dstride.threads=2 -cp "$JAR" \
    dev.stride.benchmarks.ColdStart stride "$NET" "$2" 0 2>/dev/null | grep -q 'ok$'
}

echo "== $NET: smallest -Xmx that loads the weights and classifies one image (vector kernels)"
echo "| file | weights | smallest -Xmx |"
echo "|---|---:|---:|"
for f in "${files[@]}"; do
  lo=$STEP
  hi=4096
  if ! runs "$hi" "$f"; then
    echo "| $(basename "$f") | | fails even at ${hi} MB |"
    continue
  fi
  while ((hi - lo > STEP)); do
    mid=$(((lo + hi) / 2 / STEP * STEP))
    if runs "$mid" "$f"; then hi=$mid; else lo=$mid; fi
  done
  size=$(($(stat -c %s "$f") / 1048576))
  echo "| $(basename "$f") | ${size} MB | ${hi} MB |"
done
