package dev.maws.platform.corpus;

/**
 * The keys seen in one read of a corpus, to tell duplicates. Holds a 64-bit hash per key, not the
 * key: 11 to 22 bytes a key (10 million keys: 134 MB). Two different keys with the same hash would
 * make the later one a {@link SkipReason#DUPLICATE_KEY}: odds about n²/2⁶⁵ for n keys (3·10⁻⁶ at 10
 * million). Not thread-safe.
 */
public final class KeyLedger {
    private long[] slots = new long[1 << 10]; // open addressing with linear probing, 0 = empty, at most 3/4 full
    private int size;

    /** Records {@code key}; false when it was recorded before. */
    public boolean add(String key) {
        long h = hash(key);
        int mask = slots.length - 1;
        for (int i = (int) h & mask;; i = (i + 1) & mask) {
            if (slots[i] == h) {
                return false;
            }
            if (slots[i] == 0) {
                slots[i] = h;
                if (++size > slots.length / 4 * 3) {
                    grow();
                }
                return true;
            }
        }
    }

    public int size() {
        return size;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long h : old) {
            if (h != 0) {
                int i = (int) h & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = h;
            }
        }
    }

    /** FNV-1a over the UTF-16 units, then MurmurHash3's 64-bit finaliser; never 0. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }
}
