# Sourced by ./maws and ./bench: MAWS_JEMALLOC=1 preloads jemalloc (Debian: libjemalloc2), by default
# with decay off. Opt-in, because it is a trade: decay off is the fastest (a tiny-28 WSP step 1.5 s against
# glibc's 2.0) but RSS grows without bound (+38 % over 150 steps of `./bench model --memory`), where
# glibc malloc stays flat; MALLOC_CONF="background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0"
# holds it flat at a ninth of glibc's native memory, 40 % slower (BENCHMARKS.md).
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
