package dev.maws.trainer.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.maws.platform.corpus.ShardMember;

/**
 * Which shards one process streams in an epoch, and the labels to join with their samples: the
 * epoch's records (read once, at its start) grouped by the shard their {@code image_uri} names. The
 * shards are put in an order shuffled per epoch and seed, then dealt out largest first (shards of one
 * size in that order) to the process with the fewest samples so far (ties: the lowest rank), so each
 * process reads whole shards, no two the same one, and about as many samples; each reads its own in
 * the shuffled order. Each takes {@link #limit} samples: the fewest any process
 * was dealt, so all make as many steps of an epoch (the rest of a process's samples are left over,
 * counted as dropped). Deterministic for a given topic content, seed,
 * epoch and world.
 *
 * @param mine this process's shards in reading order
 * @param limit samples each process takes this epoch
 * @param shards shards of the epoch, all processes together
 * @param badRecords records that are not a LabeledImage with an image
 * @param deleted tombstones
 * @param unlabelled WSP records with no synset in the vocabulary
 * @param duplicates records naming a sample that a later record of the epoch names again (the later one counts)
 */
record ShardEpoch(List<Shard> mine, long limit, int shards, long badRecords, long deleted, long unlabelled,
        long duplicates) {

    /**
     * One shard of the epoch as the records name it.
     *
     * @param key the stored shard {@code shards/{dataset}/{shard}.tar}
     * @param ordinal its place among the epoch's shards sorted by key: with a sample's place in the
     *     shard's index, the sample's identity within the epoch
     * @param labels sample key to its labels (MAE: to null)
     */
    record Shard(String key, int ordinal, Map<String, int[]> labels) {}

    private static final long ORDER = 0x5A4D0L;

    /** Heap the grouping may take for one record of the epoch (its key, labels and map entry). */
    static final long BYTES_PER_RECORD = 200;

    /** Where the epoch's records come from, one at a time in any order; null at the end. */
    @FunctionalInterface
    interface Records {
        ConsumerRecord<byte[], byte[]> next() throws InterruptedException;
    }

    /** The epoch dealt, or (null) why it is read record by record instead. */
    record Dealt(ShardEpoch epoch, String recordByRecord) {}

    /**
     * Reads every record of the epoch and deals its shards. Not when some usable record names no shard
     * member (images stored one by one), grouping the records could take more than half the heap, there
     * are fewer shards than processes, or whole shards cannot be dealt evenly enough: more than
     * {@code maxDropped} of the samples would be left over (few, uneven shards for the processes); then
     * the epoch is read record by record, and {@link Dealt} says why.
     *
     * @param offsets offsets in the epoch's range, an upper bound of its records (the heap check)
     */
    static Dealt deal(Records records, long offsets, BatchPipeline.LabelMap labelMap, BatchPipeline.Partition partition,
            long seed, int epoch, double maxDropped) throws InterruptedException {
        long heap = Runtime.getRuntime().maxMemory();
        if (offsets * BYTES_PER_RECORD > heap / 2) { // known before a record is read
            return new Dealt(null, "grouping its " + offsets + " records by shard may need up to "
                    + (offsets * BYTES_PER_RECORD >> 20) + " MB, more than half the trainer's heap of " + (heap >> 20)
                    + " MB (give the JVM more heap, -Xmx, to stream its shards)");
        }
        Map<String, Map<String, int[]>> byShard = new HashMap<>();
        long bad = 0;
        long deleted = 0;
        long unlabelled = 0;
        long duplicates = 0;
        for (ConsumerRecord<byte[], byte[]> r; (r = records.next()) != null;) {
            RecordEpoch.Classified c = RecordEpoch.classify(r, labelMap);
            if (c.skip() != null) {
                switch (c.skip()) {
                    case BAD_RECORD -> bad++;
                    case DELETED -> deleted++;
                    case UNLABELLED -> unlabelled++;
                }
                continue;
            }
            if (!ShardMember.isMember(c.uri())) {
                return new Dealt(null, "its images are not all samples of stored shards (" + c.uri() + ")");
            }
            ShardMember member;
            try {
                member = ShardMember.parse(c.uri());
            } catch (IllegalArgumentException e) {
                bad++;
                continue;
            }
            Map<String, int[]> shard = byShard.computeIfAbsent(member.shardKey(), k -> new HashMap<>());
            boolean had = shard.containsKey(member.key());
            shard.put(member.key(), c.labels());
            duplicates += had ? 1 : 0;
        }
        if (byShard.size() < partition.world()) {
            return new Dealt(null, byShard.size() + " shards for " + partition.world() + " processes");
        }
        List<String> sorted = new ArrayList<>(byShard.keySet());
        Collections.sort(sorted);
        Map<String, Integer> ordinals = new HashMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            ordinals.put(sorted.get(i), i);
        }
        List<String> order = new ArrayList<>(sorted);
        SplittableRandom random = new SplittableRandom(Seeds.mix(seed, ORDER, epoch));
        for (int i = order.size() - 1; i > 0; i--) { // Fisher-Yates
            Collections.swap(order, i, random.nextInt(i + 1));
        }
        // dealt largest first (shards of one size in the shuffled order), read in the shuffled order
        List<String> largestFirst = new ArrayList<>(order);
        largestFirst.sort(java.util.Comparator.comparingInt((String k) -> byShard.get(k).size()).reversed());
        long[] load = new long[partition.world()];
        Set<String> dealtHere = new HashSet<>();
        for (String key : largestFirst) {
            int to = 0;
            for (int r = 1; r < load.length; r++) {
                to = load[r] < load[to] ? r : to;
            }
            load[to] += byShard.get(key).size();
            if (to == partition.rank()) {
                dealtHere.add(key);
            }
        }
        List<Shard> mine = new ArrayList<>();
        for (String key : order) {
            if (dealtHere.contains(key)) {
                mine.add(new Shard(key, ordinals.get(key), byShard.get(key)));
            }
        }
        long limit = Long.MAX_VALUE;
        for (long l : load) {
            limit = Math.min(limit, l);
        }
        long dealt = 0;
        for (long l : load) {
            dealt += l;
        }
        long dropped = dealt - limit * load.length;
        if (dropped > maxDropped * dealt) {
            return new Dealt(null, String.format(java.util.Locale.ROOT, "whole shards dealt to %d processes would leave "
                    + "%d of %d samples over (more than maws.trainer.data.max-shard-imbalance=%.2f); more, smaller shards "
                    + "deal evenly", load.length, dropped, dealt, maxDropped));
        }
        return new Dealt(new ShardEpoch(List.copyOf(mine), limit, sorted.size(), bad, deleted, unlabelled, duplicates), null);
    }

    /** Samples dealt to this process. */
    long dealt() {
        long n = 0;
        for (Shard s : mine) {
            n += s.labels().size();
        }
        return n;
    }
}
