package dev.maws.trainer.data;

/** Derives independent seeds from the job seed, so no random choice depends on thread timing. */
public final class Seeds {
    private Seeds() {}

    /** A well-mixed 64-bit seed from the job seed, a purpose constant and up to two indices. */
    public static long mix(long seed, long purpose, long a) {
        return mix(seed, purpose, a, 0);
    }

    public static long mix(long seed, long purpose, long a, long b) {
        long h = seed;
        for (long v : new long[] {purpose, a, b}) {
            h = splitMix(h ^ splitMix(v));
        }
        return h;
    }

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
