package dev.maws.trainer.data;

import java.util.Map;
import java.util.TreeMap;

/**
 * Where the training data stood after a batch: the epoch, the Kafka offsets that bound it (taken
 * when the epoch started: [begin, end) per partition), and how many records of the epoch's shuffled
 * stream were consumed. Saved in every checkpoint; resuming replays the epoch's stream from the
 * same offsets and skips {@code consumed} records, which reproduces the same order exactly.
 *
 * @param epoch 0-based epoch
 * @param begin first offset of the epoch per partition
 * @param end offset after the last record of the epoch per partition
 * @param consumed records of this epoch's shuffled stream used or skipped so far
 * @param counters job-wide counts up to here (images, bad images, unlabelled records, ...)
 * @param records the records of this epoch's stream when its key scan counted them (streaming shards:
 *     the samples this process takes this epoch); 0 when not known (superseded records not skipped,
 *     checkpoints from before): the offset range stands in for it
 * @param shard streaming shards: the shard the reading had reached, by its place in this process's
 *     shards of the epoch (the sample {@code member} of it was the last to enter the shuffle buffer); -1
 *     when the epoch is read record by record (0 in checkpoints from before it was recorded, all of
 *     which were)
 * @param member the sample's place in its shard's index, or -1
 */
public record DataPosition(int epoch, Map<Integer, Long> begin, Map<Integer, Long> end, long consumed,
        Counters counters, long records, long shard, long member) {

    public DataPosition {
        begin = new TreeMap<>(begin);
        end = new TreeMap<>(end);
    }

    /** A position of an epoch read record by record. */
    public DataPosition(int epoch, Map<Integer, Long> begin, Map<Integer, Long> end, long consumed, Counters counters,
            long records) {
        this(epoch, begin, end, consumed, counters, records, -1, -1);
    }

    /** Offsets in the epoch's range (an upper bound of its records: compaction leaves holes). */
    public long span() {
        long n = 0;
        for (Map.Entry<Integer, Long> e : end.entrySet()) {
            n += e.getValue() - begin.getOrDefault(e.getKey(), e.getValue());
        }
        return n;
    }

    /** Epochs done, fractional: of the epoch's records when known, else of its offset range. */
    public double epochs() {
        long of = records > 0 ? records : span();
        return epoch + (of == 0 ? 0 : Math.min(1.0, consumed / (double) of));
    }

    /**
     * Job-wide data counts.
     *
     * @param images images that went into a batch
     * @param badImages images that were missing, too large or not decodable
     * @param badRecords records that were not a LabeledImage
     * @param unlabelled WSP records with no synset in the vocabulary
     * @param dropped usable images left over at an epoch's end (fewer than a batch)
     * @param deleted tombstones (records without a value: images deleted from the compacted topic; with
     *     superseded records skipped, those that are their key's latest in the epoch's range, counted when
     *     the epoch starts); 0 in checkpoints written before it was counted
     * @param duplicates records skipped because a later record of the same key in the epoch's range
     *     supersedes them (counted when the epoch starts); 0 in checkpoints written before they were
     */
    public record Counters(long images, long badImages, long badRecords, long unlabelled, long dropped, long deleted,
            long duplicates) {
        public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0);

        Counters plus(Counters o) {
            return plus(o.images, o.badImages, o.badRecords, o.unlabelled, o.dropped, o.deleted, o.duplicates);
        }

        Counters plus(long images, long badImages, long badRecords, long unlabelled, long dropped, long deleted,
                long duplicates) {
            return new Counters(this.images + images, this.badImages + badImages, this.badRecords + badRecords,
                    this.unlabelled + unlabelled, this.dropped + dropped, this.deleted + deleted,
                    this.duplicates + duplicates);
        }
    }
}
