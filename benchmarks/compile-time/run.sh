#!/usr/bin/env bash
# Compile-time cost of the processor: javac on a 3-layer and a 240-layer @Network spec, each
# compiled with the processor (parse, check, generate, and javac compiling the generated class),
# and, once the processor knows @Block, on ResNet152.java beside this script (515 layers through
# @Repeat'd bottleneck blocks).
# Needs: the project installed (mvn -q -DskipTests install). Takes about a minute.
# Usage: benchmarks/compile-time/run.sh [runs]   (default 7; prints the median of each and the ratio)
set -euo pipefail
runs=${1:-7}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=0.1.0-SNAPSHOT
m2=${M2_REPO:-$HOME/.m2/repository}
ann=$m2/dev/stride/stride-annotations/$version/stride-annotations-$version.jar
rt=$m2/dev/stride/stride-runtime/$version/stride-runtime-$version.jar
proc=$m2/dev/stride/stride-processor/$version/stride-processor-$version.jar
graph=$m2/dev/stride/stride-graph/$version/stride-graph-$version.jar
poet=$(ls "$m2"/com/palantir/javapoet/javapoet/*/javapoet-*.jar | grep -v sources | tail -n 1)
for f in "$ann" "$rt" "$proc" "$graph" "$poet"; do
  [ -f "$f" ] || { echo "missing $f: run 'mvn -q -DskipTests install' in $root first" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# spec NAME LAYERS: conv/relu blocks on a 16 x 32 x 32 input, then flatten and a classifier.
spec() {
  local name=$1 layers=$2 f="$work/src/$1/bench/$1.java"
  mkdir -p "$(dirname "$f")"
  {
    echo "package bench;"
    echo "import dev.stride.*;"
    echo "@Network(input = {16, 32, 32})"
    echo "abstract class $name {"
    local i=0
    while [ $((i + 3)) -lt "$layers" ]; do
      echo "  @Conv2d(outChannels = 16, kernelSize = 3, padding = 1) Layer conv$i;"
      echo "  @ReLU Layer relu$i;"
      i=$((i + 2))
    done
    while [ $((i + 2)) -lt "$layers" ]; do
      echo "  @BatchNorm Layer bn$i;"
      i=$((i + 1))
    done
    echo "  @GlobalAvgPool Layer gap;"
    echo "  @Flatten Layer flatten;"
    echo "  @Linear(outFeatures = 10) Layer fc;"
    echo "}"
  } > "$f"
  echo "$f"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# One javac run; prints its wall time in ms. Fails loudly if the spec does not compile.
time_once() {
  local src=$1 out="$work/out"
  rm -rf "$out" && mkdir -p "$out"
  local start end
  start=$(date +%s%N)
  javac -d "$out" -cp "$ann:$rt:$graph" -processorpath "$proc:$graph:$poet:$ann" "$src"
  end=$(date +%s%N)
  local name
  name=$(basename "$src" .java)
  [ -f "$out/bench/${name}Model.class" ] || { echo "no ${name}Model generated" >&2; exit 1; }
  echo $(((end - start) / 1000000))
}

small=$(spec Small 3)
large=$(spec Large 240)
# The block spec needs the block annotations; until they exist it is skipped, not failed.
blocks=""
if unzip -l "$ann" 2>/dev/null | grep -q 'dev/stride/Block.class'; then
  mkdir -p "$work/src/ResNet152/bench"
  cp "$here/ResNet152.java" "$work/src/ResNet152/bench/"
  blocks="$work/src/ResNet152/bench/ResNet152.java"
fi
echo "javac $(javac -version 2>&1 | cut -d' ' -f2), $runs runs each, alternating, median wall time:"
# Alternate the two so that load from anything else on the machine hits both alike.
: > "$work/t3"
: > "$work/t240"
: > "$work/t152"
for _ in $(seq "$runs"); do
  time_once "$small" >> "$work/t3"
  time_once "$large" >> "$work/t240"
  if [ -n "$blocks" ]; then time_once "$blocks" >> "$work/t152"; fi
done
t3=$(median < "$work/t3")
t240=$(median < "$work/t240")
echo "  3 layers:   ${t3} ms"
echo "  240 layers: ${t240} ms"
awk -v a="$t240" -v b="$t3" 'BEGIN { printf "  ratio 240 / 3: %.2f\n", a / b }'
if [ -n "$blocks" ]; then
  t152=$(median < "$work/t152")
  echo "  ResNet-152, 515 layers in blocks: ${t152} ms"
  awk -v a="$t152" -v b="$t3" 'BEGIN { printf "  ratio ResNet-152 / 3: %.2f\n", a / b }'
else
  echo "  ResNet-152: skipped, the processor on the classpath has no @Block"
fi
