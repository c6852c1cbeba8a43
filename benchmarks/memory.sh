#!/usr/bin/env bash
# The smallest heap (-Xmx) in which Stride loads AlexNet's weights and classifies one image, from
# safetensors and from a torch.save file: a bisection over fresh JVMs, each running
# `ColdStart stride AlexNet FILE 0` (load, one batch-1 pass, exit) with the vector kernels.
#
# Run:   benchmarks/memory.sh [NET] [STEP_MB]       # default AlexNet, 8 MB resolution
#        SKIP_BUILD=1 benchmarks/memory.sh LeNet 1
# Needs: JDK 17 and Maven; /usr/bin/python3 to write the .pt file from the safetensors one (with
#        torch when it has it, else as torch.save's zip layout by the standard library alone).
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
if [[ ! -f "$DIR/$base.pt" ]] && "$PYTHON" -c "import zipfile" 2>/dev/null; then
  # Without torch: the same zip torch.save writes (data.pkl naming torch's rebuild function and
  # FloatStorage, one stored entry per storage), written by pickle with stand-ins for those names.
  "$PYTHON" - "$DIR/$base.safetensors" "$DIR/$base.pt" <<'PY'
import collections, io, json, pickle, struct, sys, types, zipfile
torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
class FloatStorage:
    pass
FloatStorage.__module__ = "torch"
def _rebuild_tensor_v2(*args):
    pass
_rebuild_tensor_v2.__module__ = "torch._utils"
torch.FloatStorage, utils._rebuild_tensor_v2, torch._utils = FloatStorage, _rebuild_tensor_v2, utils
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
class Storage:
    def __init__(self, key, count):
        self.key, self.count = key, count
class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, tuple(shape)
    def __reduce__(self):
        stride, s = [], 1
        for d in reversed(self.shape):
            stride.insert(0, s)
            s *= d
        return (_rebuild_tensor_v2,
                (self.storage, 0, self.shape, tuple(stride), False, collections.OrderedDict()))
class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.count)
        return None
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
state, blobs = collections.OrderedDict(), []
for name, info in header.items():
    if name == "__metadata__":
        continue
    a, b = info["data_offsets"]
    key = str(len(blobs))
    blobs.append((key, data[8 + n + a:8 + n + b]))
    state[name] = Tensor(Storage(key, (b - a) // 4), info["shape"])
buffer = io.BytesIO()
Pickler(buffer, protocol=2).dump(state)
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", buffer.getvalue())
    z.writestr("archive/byteorder", "little")
    for key, blob in blobs:
        z.writestr("archive/data/" + key, blob)
    z.writestr("archive/version", "3\n")
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
