# Sourced by ./maws and ./bench: preload jemalloc when it is installed (Debian: libjemalloc2).
# With decay off it keeps a DJL process's RSS flat and its steps ~25 % faster than glibc malloc
# (DESIGN.md); with default settings it was worse, so MALLOC_CONF matters. MAWS_NO_JEMALLOC=1 skips it.
use_jemalloc() {
  [[ -n "${MAWS_NO_JEMALLOC:-}" ]] && return 0
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2; do
    if [[ -f "$lib" ]]; then
      export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
      export MALLOC_CONF="${MALLOC_CONF:-dirty_decay_ms:-1,muzzy_decay_ms:-1}"
      return 0
    fi
  done
}
