#!/usr/bin/env bash
# The c10d half of the spike (trainer README): two ranks on loopback, each a JVM with DJL's libtorch,
# a TCPStore and a ProcessGroupGloo made by native/maws_c10d.cpp (no libtorch headers: symbols of the
# loaded libtorch_cpu.so), then an all-reduce of a DJL tensor through bytedeco's ProcessGroupGloo.
# Usage: ./run-allreduce.sh [FLOATS] [PORT]
set -euo pipefail
cd "$(dirname "$0")"
n=${1:-1000}
port=${2:-29531}
../../mvnw -q -B dependency:copy-dependencies -DoutputDirectory=target/lib
mkdir -p target/classes
javac -d target/classes -cp "target/lib/*" src/main/java/spike/*.java
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
g++ -std=c++17 -O2 -shared -fPIC -I"$jdk/include" -I"$jdk/include/linux" native/maws_c10d.cpp -o target/libmaws_c10d.so -ldl
export DJL_CACHE_DIR=$PWD/target/djl-cache
java -Dai.djl.offline=true -cp "target/classes:target/lib/*" spike.BridgeSpike unpack
lib=$(ls -d "$DJL_CACHE_DIR"/pytorch/2.5.1-*cpu-linux-x86_64 | head -n 1)
for rank in 0 1; do
  java -Dai.djl.offline=true -Dorg.bytedeco.javacpp.pathsFirst=true -Djava.library.path="$lib" \
    -Dmaws.c10d.lib="$PWD/target/libmaws_c10d.so" -cp "target/classes:target/lib/*" \
    spike.AllReduceSpike "$rank" 2 "$port" "$n" > "target/rank$rank.log" 2>&1 &
done
wait || true
grep -h -e '^rank' -e 'Problematic frame' -A1 target/rank0.log target/rank1.log | grep -v '^--' || true
