package dev.maws.trainer.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.maws.platform.corpus.ShardMember;

/**
 * Which shards one process streams in an epoch, and the labels to join with their samples: the
 * epoch's records (read once, at its start) grouped by the shard their {@code image_uri} names. The
 * shards are put in an order shuffled per epoch and seed, then dealt out one by one to the process
 * with the fewest samples so far (ties: the lowest rank), so each process reads whole shards, no two
 * the same one, and about as many samples. Each takes {@link #limit} samples: the fewest any process
 * was dealt, so all make as many steps of an epoch. Deterministic for a given topic content, seed,
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

    /**
     * Reads every record of the epoch and deals its shards; null when some usable record names no shard
     * member (images stored one by one) or there are fewer shards than processes: then the epoch is read
     * record by record.
     *
     * @param offsets offsets in the epoch's range, an upper bound of its records (the heap check)
     */
    static ShardEpoch deal(Records records, long offsets, BatchPipeline.LabelMap labelMap, BatchPipeline.Partition partition,
            long seed, int epoch) throws InterruptedException {
        long heap = Runtime.getRuntime().maxMemory();
        if (offsets * BYTES_PER_RECORD > heap / 2) {
            throw new IllegalStateException("grouping the epoch's " + offsets + " records by shard may need up to "
                    + (offsets * BYTES_PER_RECORD >> 20) + " MB, more than half the trainer's heap of " + (heap >> 20)
                    + " MB; give the JVM more heap (-Xmx) or set maws.trainer.data.stream-shards=false (each image read"
                    + " with its own GET)");
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
                return null;
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
            return null;
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
        long[] load = new long[partition.world()];
        List<Shard> mine = new ArrayList<>();
        for (String key : order) {
            int to = 0;
            for (int r = 1; r < load.length; r++) {
                to = load[r] < load[to] ? r : to;
            }
            Map<String, int[]> labels = byShard.get(key);
            load[to] += labels.size();
            if (to == partition.rank()) {
                mine.add(new Shard(key, ordinals.get(key), labels));
            }
        }
        long limit = Long.MAX_VALUE;
        for (long l : load) {
            limit = Math.min(limit, l);
        }
        return new ShardEpoch(List.copyOf(mine), limit, sorted.size(), bad, deleted, unlabelled, duplicates);
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
