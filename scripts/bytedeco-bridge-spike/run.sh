#!/usr/bin/env bash
# The bridge spike of the trainer README ("Training beyond one process"): DJL 0.33 and bytedeco's
# PyTorch 2.5.1 presets in one JVM on DJL's libtorch; fused attention on DJL tensors, checked against
# DJL's own attention (forward and gradient), and how many libtorch_cpu.so the process maps.
set -euo pipefail
cd "$(dirname "$0")"
../../mvnw -q -B dependency:copy-dependencies -DoutputDirectory=target/lib
mkdir -p target/classes
javac -d target/classes -cp "target/lib/*" src/main/java/spike/BridgeSpike.java
export DJL_CACHE_DIR=$PWD/target/djl-cache
# DJL unpacks its libtorch on its first NDArray ("unpack" does only that); JavaCPP then finds those
# files on java.library.path (pathsFirst) instead of loading its own copy of libtorch beside them.
java -Dai.djl.offline=true -cp "target/classes:target/lib/*" spike.BridgeSpike unpack
lib=$(ls -d "$DJL_CACHE_DIR"/pytorch/2.5.1-*cpu-linux-x86_64 | head -n 1)
exec java -Dai.djl.offline=true -Dorg.bytedeco.javacpp.pathsFirst=true -Djava.library.path="$lib" \
  -cp "target/classes:target/lib/*" spike.BridgeSpike
