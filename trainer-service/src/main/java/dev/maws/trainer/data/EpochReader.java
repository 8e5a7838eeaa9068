package dev.maws.trainer.data;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import com.carrotsearch.hppc.LongArrayList;
import com.carrotsearch.hppc.LongLongHashMap;
import com.carrotsearch.hppc.cursors.LongLongCursor;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;

/**
 * Reads one epoch of the training topic: every partition from its begin to its end offset, merged
 * round-robin one record at a time. The merge waits for each unfinished partition, so the order
 * depends only on the topic's content, never on fetch timing: a resumed run sees the same stream.
 *
 * <p>An image's record can be in the range more than once: the topic is compacted, but only behind
 * its head, and a label-service that restarts labels again what it had not committed (same key, same
 * record). {@link #scanKeys} finds, before an epoch, the records that a later one of the same key
 * supersedes within the range, and the tombstones that are a key's last word in it, and the epoch
 * skips them: each image once, as the compacted topic will hold it. The stream then stays the same
 * when the log cleaner removes such records (superseded ones; tombstones after
 * {@code delete.retention.ms}) between a run and its resumption. It does not when the cleaner
 * removes a record of the range whose key comes again after the range's end.
 *
 * <p>A plain {@link KafkaConsumer} with {@code assign}/{@code seek}, not a messaging channel: an
 * epoch is a bounded, replayable range of offsets, not a subscription.
 */
final class EpochReader implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(200);
    private static final int PAUSE_AT = 5000;
    private static final Duration STALL = Duration.ofSeconds(60);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<TopicPartition, ArrayDeque<ConsumerRecord<byte[], byte[]>>> buffered = new HashMap<>();
    private Map<Integer, Long> end = Map.of();
    /** Per partition of the current epoch: the offsets its key scan skips. */
    private final Map<TopicPartition, Skips> skips = new HashMap<>();
    private KeyScan lastScan;
    private int next;

    EpochReader(String bootstrapServers, String topic, String groupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        // a fetch that finds nothing new (a partition at its end, one just seeked) returns after 50 ms, not
        // Kafka's 500: counting an epoch's records seeks 64 times and waited that long at each
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId);
        // an epoch's recorded offsets that are gone (topic recreated, records deleted) are an error, not a
        // silent jump to the end of the partition (Kafka's default, "latest")
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
            partitions.sort(java.util.Comparator.comparingInt(TopicPartition::partition));
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions");
            }
            consumer.assign(partitions);
        } catch (RuntimeException e) { // Kafka unreachable, no such topic: the job fails, the consumer must not linger
            consumer.close(Duration.ofSeconds(5));
            throw e;
        }
    }

    /** The offsets an epoch covers: [begin, end) per partition. */
    record Offsets(Map<Integer, Long> begin, Map<Integer, Long> end) {}

    /** The offsets an epoch starting now covers: beginning to end of every partition. */
    Offsets snapshot() {
        Map<Integer, Long> b = new HashMap<>();
        Map<Integer, Long> e = new HashMap<>();
        consumer.beginningOffsets(partitions).forEach((tp, o) -> b.put(tp.partition(), o));
        consumer.endOffsets(partitions).forEach((tp, o) -> e.put(tp.partition(), o));
        return new Offsets(b, e);
    }

    /**
     * How many records of [begin, end) hold a value: the offset range less what compaction removed,
     * tombstones (deleted images) and transaction markers. Read whole when the range has at most
     * {@code budget} offsets, else estimated from at most {@code budget} offsets (fewer when the
     * windows do not divide it) read in {@link #WINDOWS} windows spread evenly over the partitions
     * by their size, at least one a partition (exact whenever no record is missing). Deterministic
     * for a given topic content. Leaves the reader to be positioned by {@link #start}.
     *
     * @return the count, or -1 once {@code cancelled} says so
     */
    long countRecords(Map<Integer, Long> begin, Map<Integer, Long> end, long budget, java.util.function.BooleanSupplier cancelled)
            throws InterruptedException {
        if (budget < WINDOWS) {
            throw new IllegalArgumentException("a budget of " + budget + " offsets is below one for each of " + WINDOWS
                    + " windows");
        }
        long span = 0;
        for (TopicPartition tp : partitions) {
            span += spanOf(tp, begin, end);
        }
        if (span == 0) {
            return 0;
        }
        for (TopicPartition tp : partitions) { // a poll needs a position for every assigned partition, paused or not
            consumer.seek(tp, begin.getOrDefault(tp.partition(), 0L));
        }
        // each partition's share of the windows (at least one), all of one length that keeps the total
        // within the budget
        Map<TopicPartition, Integer> windows = new HashMap<>();
        long totalWindows = 0;
        for (TopicPartition tp : partitions) {
            long size = spanOf(tp, begin, end);
            if (size > 0) {
                int w = (int) Math.max(1, Math.round(WINDOWS * (double) size / span));
                windows.put(tp, w);
                totalWindows += w;
            }
        }
        long length = Math.max(1, budget / totalWindows);
        double estimate = 0;
        for (TopicPartition tp : partitions) {
            long from = begin.getOrDefault(tp.partition(), 0L);
            long size = spanOf(tp, begin, end);
            if (size == 0) {
                continue;
            }
            if (span <= budget) {
                long n = countWindow(tp, from, from + size, cancelled);
                if (n < 0) {
                    return -1;
                }
                estimate += n;
                continue;
            }
            int w = windows.get(tp);
            long len = Math.min(length, size / w); // windows centred in equal parts of the range, never overlapping
            long present = 0;
            for (int i = 0; i < w; i++) {
                long centre = from + (long) ((i + 0.5) * size / w);
                long start = Math.max(from, Math.min(from + size - len, centre - len / 2));
                long n = countWindow(tp, start, start + len, cancelled);
                if (n < 0) {
                    return -1;
                }
                present += n;
            }
            estimate += size * (present / (double) (w * len));
        }
        return Math.round(estimate);
    }

    /** Windows an estimating {@link #countRecords} reads. */
    static final int WINDOWS = 64;

    private static long spanOf(TopicPartition tp, Map<Integer, Long> begin, Map<Integer, Long> end) {
        long e = end.getOrDefault(tp.partition(), 0L);
        return Math.max(0, e - begin.getOrDefault(tp.partition(), e));
    }

    /** Records with a value at offsets [from, to) of one partition; -1 once {@code cancelled}. */
    private long countWindow(TopicPartition tp, long from, long to, java.util.function.BooleanSupplier cancelled)
            throws InterruptedException {
        long[] n = {0};
        return readRange(tp, from, to, cancelled, r -> n[0] += r.value() != null ? 1 : 0) ? n[0] : -1;
    }

    /**
     * Hands every record at offsets [from, to) of one partition to {@code each}, in offset order; false
     * once {@code cancelled} says so. Leaves every partition resumed.
     */
    private boolean readRange(TopicPartition tp, long from, long to, java.util.function.BooleanSupplier cancelled,
            java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) throws InterruptedException {
        consumer.pause(partitions);
        consumer.resume(List.of(tp));
        consumer.seek(tp, from);
        long stalledSince = System.nanoTime();
        long lastPosition = from;
        while (consumer.position(tp) < to) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (cancelled.getAsBoolean()) {
                consumer.resume(partitions);
                return false;
            }
            org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> polled = poll();
            for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
                if (r.offset() >= from && r.offset() < to) {
                    each.accept(r);
                }
            }
            if (polled.isEmpty()) {
                checkReaches(tp, to);
            }
            long position = consumer.position(tp);
            if (position != lastPosition) {
                lastPosition = position;
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > STALL.toNanos()) {
                throw new IllegalStateException("no records of " + tp + " arrived for " + STALL.toSeconds() + " s at offset "
                        + position + " while reading the epoch's records ahead of it; is the broker reachable?");
            }
        }
        consumer.resume(partitions);
        return true;
    }

    private static final HashFunction FINGERPRINT = Hashing.murmur3_128();

    /**
     * What the keys of an epoch's range say: per partition, the offsets the epoch skips (ascending), and
     * the records that are left (the epoch's records).
     *
     * @param skipped partition -> offsets that a later record of the same key in the range supersedes, and
     *     tombstones that no later record of their key in the range does
     * @param records records of the range with a value that no later record supersedes
     * @param duplicates superseded records (with a value or tombstones)
     * @param tombstones tombstones that are their key's latest record in the range: images deleted
     */
    record KeyScan(Map<Integer, Long> begin, Map<Integer, Long> end, Map<Integer, long[]> skipped, long records,
            long duplicates, long tombstones) {}

    /** Heap a key scan may take for one offset: a fingerprint and an offset in a table up to 3/8 full, doubled while it grows. */
    static final long SCAN_BYTES_PER_OFFSET = 64;

    /**
     * Reads every record of [begin, end), one partition at a time, and finds the records to skip: those
     * whose key (a 64-bit murmur3 fingerprint of its bytes) comes again at a later offset of the range,
     * and the tombstones among each key's latest record. A record without a key is never skipped. Holds
     * one partition's fingerprints at a time (a primitive map: 21-43 bytes a distinct key by how full
     * its power-of-two table is, up to 64 while it grows); what it keeps is the skipped offsets (8 bytes
     * each). A partition whose offsets could take more than half the heap is refused with what to do.
     * Deterministic for a given topic content; remembered for {@link #start} of the same range.
     *
     * @return the scan, or null once {@code cancelled} says so
     */
    KeyScan scanKeys(Map<Integer, Long> begin, Map<Integer, Long> end, java.util.function.BooleanSupplier cancelled)
            throws InterruptedException {
        if (lastScan != null && lastScan.begin().equals(begin) && lastScan.end().equals(end)) {
            return lastScan;
        }
        for (TopicPartition tp : partitions) { // a poll needs a position for every assigned partition, paused or not
            consumer.seek(tp, begin.getOrDefault(tp.partition(), 0L));
        }
        Map<Integer, long[]> skipped = new HashMap<>();
        long records = 0;
        long duplicates = 0;
        long tombstones = 0;
        long heap = Runtime.getRuntime().maxMemory();
        for (TopicPartition tp : partitions) {
            long from = begin.getOrDefault(tp.partition(), 0L);
            long to = Math.max(from, end.getOrDefault(tp.partition(), 0L));
            checkScanFits(tp, to - from, heap);
            // fingerprint -> latest offset << 1 | 1 when that record has a value
            LongLongHashMap latest = new LongLongHashMap();
            LongArrayList older = new LongArrayList();
            long[] keyless = {0};
            boolean done = readRange(tp, from, to, cancelled, r -> {
                long valued = r.value() != null ? 1 : 0;
                if (r.key() == null) {
                    keyless[0] += valued;
                    return;
                }
                long fp = FINGERPRINT.hashBytes(r.key()).asLong();
                int slot = latest.indexOf(fp);
                if (latest.indexExists(slot)) {
                    older.add(latest.indexGet(slot) >>> 1);
                    latest.indexReplace(slot, r.offset() << 1 | valued);
                } else {
                    latest.indexInsert(slot, fp, r.offset() << 1 | valued);
                }
            });
            if (!done) {
                return null;
            }
            duplicates += older.size();
            records += keyless[0];
            for (LongLongCursor c : latest) {
                if ((c.value & 1) == 1) {
                    records++;
                } else { // the image is deleted: skipped like the records before it, counted as deleted
                    older.add(c.value >>> 1);
                    tombstones++;
                }
            }
            long[] sorted = older.toArray();
            java.util.Arrays.sort(sorted);
            skipped.put(tp.partition(), sorted);
        }
        lastScan = new KeyScan(Map.copyOf(begin), Map.copyOf(end), Map.copyOf(skipped), records, duplicates, tombstones);
        return lastScan;
    }

    /** Refuses a key scan of a partition's {@code offsets} that could take more than half of {@code heap} bytes. */
    static void checkScanFits(TopicPartition tp, long offsets, long heap) {
        if (offsets * SCAN_BYTES_PER_OFFSET > heap / 2) {
            throw new IllegalStateException("the epoch's key scan of " + tp + " (" + offsets + " offsets) may need up to "
                    + (offsets * SCAN_BYTES_PER_OFFSET >> 20) + " MB, more than half the trainer's heap of " + (heap >> 20)
                    + " MB; give the JVM more heap (-Xmx), spread the topic over more partitions, or set "
                    + "maws.trainer.data.skip-superseded=false (each record of the range read as it is)");
        }
    }

    /** Positions the reader at the start of an epoch with these bounds; {@code scan} (of the same range) or null. */
    void start(Map<Integer, Long> begin, Map<Integer, Long> end, KeyScan scan) {
        if (scan != null && (!scan.begin().equals(begin) || !scan.end().equals(end))) {
            throw new IllegalArgumentException("a key scan of " + scan.begin() + ".." + scan.end() + " for an epoch of "
                    + begin + ".." + end);
        }
        this.end = Map.copyOf(end);
        buffered.clear();
        skips.clear();
        next = 0;
        for (TopicPartition tp : partitions) {
            buffered.put(tp, new ArrayDeque<>());
            skips.put(tp, new Skips(scan == null ? new long[0] : scan.skipped().getOrDefault(tp.partition(), new long[0])));
            consumer.seek(tp, begin.getOrDefault(tp.partition(), 0L));
        }
    }

    /** A partition's skipped offsets (ascending) and how far the merge, which reads them in order, has come. */
    private static final class Skips {
        private final long[] offsets;
        private int at;

        Skips(long[] offsets) {
            this.offsets = offsets;
        }

        /** Whether the record at {@code offset} is skipped; offsets are asked in ascending order. */
        boolean contains(long offset) {
            while (at < offsets.length && offsets[at] < offset) {
                at++;
            }
            return at < offsets.length && offsets[at] == offset;
        }
    }

    /** The next record of the epoch in merge order, or null when the epoch is exhausted. */
    ConsumerRecord<byte[], byte[]> next() throws InterruptedException {
        for (int tried = 0; tried < partitions.size(); tried++) {
            TopicPartition tp = partitions.get(next);
            next = (next + 1) % partitions.size();
            ConsumerRecord<byte[], byte[]> r = take(tp);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** The next record of one partition within the epoch, polling as needed; null when it is done. */
    private ConsumerRecord<byte[], byte[]> take(TopicPartition tp) throws InterruptedException {
        long limit = end.getOrDefault(tp.partition(), 0L);
        ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = buffered.get(tp);
        while (true) {
            while (!queue.isEmpty()) {
                ConsumerRecord<byte[], byte[]> r = queue.poll();
                if (r.offset() >= limit) {
                    queue.clear(); // past the epoch's end
                } else if (!skips.get(tp).contains(r.offset())) {
                    return r;
                }
            }
            if (consumer.position(tp) >= limit) {
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            // bound memory: partitions far ahead of the merge wait until it catches up; and those fetched to
            // the epoch's end fetch no more (at the end of the log they would ask every fetch.max.wait.ms)
            List<TopicPartition> full = new ArrayList<>();
            for (TopicPartition other : partitions) {
                if (!other.equals(tp) && (buffered.get(other).size() >= PAUSE_AT
                        || consumer.position(other) >= end.getOrDefault(other.partition(), 0L))) {
                    full.add(other);
                }
            }
            consumer.resume(partitions);
            consumer.pause(full);
            org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> polled = poll();
            for (ConsumerRecord<byte[], byte[]> r : polled) {
                buffered.get(new TopicPartition(r.topic(), r.partition())).add(r);
            }
            if (polled.isEmpty()) { // nothing more: is there anything left below the epoch's end at all?
                checkReaches(tp, limit);
            }
        }
    }

    private org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> poll() {
        try {
            return consumer.poll(POLL);
        } catch (org.apache.kafka.clients.consumer.InvalidOffsetException e) {
            throw new IllegalStateException("the epoch's records from " + e.partitions() + " are no longer on the topic"
                    + " (recreated, or its records deleted); this run cannot go on from its recorded position", e);
        }
    }

    /** Fails when the partition now ends before {@code limit}, an offset the epoch recorded as there. */
    private void checkReaches(TopicPartition tp, long limit) {
        long now = consumer.endOffsets(List.of(tp)).get(tp);
        if (now < limit) {
            throw new IllegalStateException(tp + " ends at offset " + now + ", before the epoch's recorded end " + limit
                    + " (the topic was recreated or truncated); this run cannot go on from its recorded position");
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
