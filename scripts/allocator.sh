# Sourced by ./maws and ./bench: the malloc settings of the processes they start (BENCHMARKS.md, model).
#
# Default, glibc malloc with a fixed 32 MB mmap threshold and no trimming, so the pages a training step
# freed serve the next step instead of going back to the kernel and being zeroed again: the vit-s/16 WSP
# step met the model issue's speed goal in five of five rounds with it, one of three without; RSS stays
# flat. An explicit GLIBC_TUNABLES wins; an empty one (GLIBC_TUNABLES=) runs glibc as it comes.
#
# MAWS_JEMALLOC=1 preloads jemalloc (Debian: libjemalloc2) instead, by default with decay off. Opt-in,
# because it is a trade: decay off is the fastest (a tiny-28 WSP step 1.5 s against glibc's 2.0) but RSS
# grows without bound (+38 % over 150 steps of `./bench model --memory`);
# MALLOC_CONF="background_thread:true,dirty_decay_ms:10000,muzzy_decay_ms:0" holds it flat at a ninth
# of glibc's native memory, 40 % slower.
MAWS_GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296"

use_allocator() {
  if [[ "${MAWS_JEMALLOC:-}" != "1" ]]; then
    export GLIBC_TUNABLES="${GLIBC_TUNABLES-$MAWS_GLIBC_TUNABLES}"
    return 0
  fi
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
