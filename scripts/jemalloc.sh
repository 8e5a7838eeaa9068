# Sourced by ./maws and ./bench: MAWS_JEMALLOC=1 preloads jemalloc (Debian: libjemalloc2) with decay
# off. Opt-in, because it is a trade: in `./bench model` it made the vit-s/16 WSP step ~30 % faster,
# but in `./bench model --memory` (tiny-28 WSP, batch 256) RSS grew without bound, 3.9 -> 10.3 GB
# in 150 steps, where glibc malloc stays flat (BENCHMARKS.md). Fine for a short benchmark, not for a
# service that trains for hours.
use_jemalloc() {
  [[ "${MAWS_JEMALLOC:-}" == "1" ]] || return 0
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2; do
    if [[ -f "$lib" ]]; then
      export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
      export MALLOC_CONF="${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}"
      return 0
    fi
  done
  echo "MAWS_JEMALLOC=1 but no libjemalloc.so.2 found (apt-get install libjemalloc2)" >&2
}
