package dev.maws.label.vocab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.carrotsearch.hppc.LongIntHashMap;
import com.carrotsearch.hppc.cursors.IntCursor;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;

/**
 * What a vocabulary freeze counts: the synsets of each image's latest record, one partition of the
 * compacted topic at a time (a key always lands in the same partition, so no image spans two). Kept
 * small because a billion-image topic passes through it: per image of the partition being read, a
 * 64-bit fingerprint of its key in a primitive hash map (~25 bytes with its free slots), pointing to
 * the image's synsets as small integers in a pool of int blocks (4 bytes each, plus 4 for the
 * count). That is ~41 bytes an image at three labels, whatever the mix of labels, where a map of id
 * strings to synset arrays took ~75. A re-labelled image reuses its place when its new labels fit
 * in it; otherwise (more labels than before, or after a tombstone) the old ints stay unused until the
 * partition ends. When a partition ends, its images are counted per synset and the map and pool are
 * emptied.
 *
 * <p>Two keys of one partition with the same fingerprint would count as one image: for n images in
 * a partition the chance of that happening at all is about n² / 2⁶⁵ (3 in 10,000 at 100 million).
 */
public final class LatestLabelSets { // public for ./bench label, which measures its memory
    private static final HashFunction FINGERPRINT = Hashing.murmur3_128();
    /** Ints per pool block; an image's synsets never span two blocks. */
    private static final int BLOCK = 1 << 16;

    /** Key fingerprint -> position of the image's synsets in the pool, for the partition being read. */
    private final LongIntHashMap latest = new LongIntHashMap();
    /** [count, synset index...] per record of the partition; positions are block * BLOCK + offset. */
    private final List<int[]> pool = new ArrayList<>();
    private int used = BLOCK; // ints used in the last block (BLOCK: a new block is needed)
    private final Map<String, Integer> synsetIndex = new HashMap<>();
    private final List<String> synsets = new ArrayList<>();
    private long[] imagesPerSynset = new long[1024];
    private long images;

    /**
     * The image's latest record labels it with these synsets (replacing an earlier record).
     *
     * @throws IllegalStateException when the partition holds more labels than one pool can address
     */
    public void put(byte[] key, List<String> labels) {
        if (labels.size() + 1 > BLOCK) {
            throw new IllegalArgumentException("a record with " + labels.size() + " synsets; at most " + (BLOCK - 1));
        }
        long fingerprint = fingerprint(key);
        int slot = latest.indexOf(fingerprint);
        if (latest.indexExists(slot)) { // re-labelled: its old place is reused when the new labels fit in it
            int position = latest.indexGet(slot);
            int[] block = pool.get(position / BLOCK);
            int at = position % BLOCK;
            if (labels.size() <= block[at]) {
                block[at] = labels.size();
                for (int i = 0; i < labels.size(); i++) {
                    block[at + 1 + i] = index(labels.get(i));
                }
                return;
            }
        }
        if (used + labels.size() + 1 > BLOCK) {
            if (pool.size() == Integer.MAX_VALUE / BLOCK) {
                throw new IllegalStateException("a partition with more than 2^31 labels and counts: freeze from a topic "
                        + "with more partitions");
            }
            pool.add(new int[BLOCK]);
            used = 0;
        }
        int[] block = pool.get(pool.size() - 1);
        int position = (pool.size() - 1) * BLOCK + used;
        block[used++] = labels.size();
        for (String s : labels) {
            block[used++] = index(s);
        }
        latest.put(fingerprint, position);
    }

    /** A tombstone: the image is gone. */
    public void remove(byte[] key) {
        latest.remove(fingerprint(key));
    }

    /** The partition is read to its end: its images count, and its map and pool are emptied for the next one. */
    public void endPartition() {
        for (IntCursor c : latest.values()) {
            int[] block = pool.get(c.value / BLOCK);
            int at = c.value % BLOCK;
            for (int i = 1; i <= block[at]; i++) {
                imagesPerSynset[block[at + i]]++;
            }
        }
        images += latest.size();
        latest.release(); // the next partition grows its own: the largest partition bounds the memory
        pool.clear();
        used = BLOCK;
    }

    /** Images counted so far (partitions ended). */
    public long images() {
        return images;
    }

    /** Images per synset over the partitions ended so far (synsets on no image are left out). */
    public Map<String, Long> synsetCounts() {
        Map<String, Long> counts = new HashMap<>();
        for (int i = 0; i < synsets.size(); i++) {
            if (imagesPerSynset[i] > 0) {
                counts.put(synsets.get(i), imagesPerSynset[i]);
            }
        }
        return counts;
    }

    /** Images the map holds now (the partition being read): what its memory grows with. */
    public int imagesInPartition() {
        return latest.size();
    }

    /** Bytes the map's arrays and the pool's blocks hold now. */
    public long bytesInPartition() {
        return latest.ramBytesAllocated() + (long) pool.size() * BLOCK * Integer.BYTES;
    }

    private int index(String synset) {
        Integer i = synsetIndex.get(synset);
        if (i != null) {
            return i;
        }
        int next = synsets.size();
        synsets.add(synset);
        synsetIndex.put(synset, next);
        if (next == imagesPerSynset.length) {
            imagesPerSynset = Arrays.copyOf(imagesPerSynset, next * 2);
        }
        return next;
    }

    private static long fingerprint(byte[] key) {
        return FINGERPRINT.hashBytes(key).asLong();
    }
}
