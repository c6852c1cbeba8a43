#!/usr/bin/env bash
# Checks the block references (tools/make_block_reference.py) without Stride's kernels: the Java
# formula weights under torchvision's names and the networks written as graph rows, exported by
# benchmarks' OnnxExport and run by ONNX Runtime, must give the committed PyTorch outputs.
# Needs: mvn -pl benchmarks,integration-tests -am package -DskipTests (the benchmarks jar and the
#        integration tests' classes), /usr/bin/python3. Takes under a minute.
# Usage: tools/ort-check/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar=$root/benchmarks/target/benchmarks.jar
classes=$root/integration-tests/target/test-classes
refs=$root/integration-tests/src/test/resources/reference/blocks
for f in "$jar" "$classes/dev/stride/it/FormulaWeights.class"; do
  [ -f "$f" ] || { echo "missing $f: mvn -pl benchmarks,integration-tests -am package -DskipTests" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
javac -proc:none -d "$work" -cp "$jar:$classes" "$here/OrtCheck.java"
status=0
for net in "ResNet18 resnet18" "MobileNetV2 mobilenet_v2"; do
  set -- $net
  /usr/bin/python3 "$here/graph_rows.py" "$2" > "$work/$2.rows"
  java -cp "$work:$jar:$classes" dev.stride.it.OrtCheck "$1" "torchvision-$2.json" "$work/$2.rows" "$refs" \
    2>&1 | grep -v "^WARNING" || status=1
done
exit $status
