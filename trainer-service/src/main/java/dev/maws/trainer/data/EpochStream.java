package dev.maws.trainer.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One epoch's records in training order: the {@link EpochReader}'s deterministic merge (less the
 * records its key scan skips, when given one) through a seeded shuffle buffer (reservoir of
 * {@code bufferSize}: each arriving record swaps out a random held one). Same topic content, offsets,
 * seed and epoch: same order, which is what makes a resumed run equal to an uninterrupted one.
 */
final class EpochStream {
    private final EpochReader reader;
    private final int bufferSize;
    private final SplittableRandom random;
    private final List<ConsumerRecord<byte[], byte[]>> held = new ArrayList<>();
    private final int epoch;
    private final Map<Integer, Long> begin;
    private final Map<Integer, Long> end;
    private final long records;
    private boolean drained;
    private long taken;

    EpochStream(EpochReader reader, int bufferSize, long seed, int epoch, Map<Integer, Long> begin,
            Map<Integer, Long> end, EpochReader.KeyScan scan) {
        this.reader = reader;
        this.bufferSize = Math.max(1, bufferSize);
        this.random = new SplittableRandom(Seeds.mix(seed, 0x5EED_0F_E90C7L, epoch));
        this.epoch = epoch;
        this.begin = Map.copyOf(begin);
        this.end = Map.copyOf(end);
        this.records = scan == null ? 0 : scan.records();
        reader.start(begin, end, scan);
    }

    int epoch() {
        return epoch;
    }

    Map<Integer, Long> begin() {
        return begin;
    }

    Map<Integer, Long> end() {
        return end;
    }

    /** The epoch's records as its key scan counted them; 0 without one. */
    long records() {
        return records;
    }

    /** Records taken so far (the index the next record will have). */
    long taken() {
        return taken;
    }

    /** The next record in training order, or null at the end of the epoch. */
    ConsumerRecord<byte[], byte[]> next() throws InterruptedException {
        while (!drained && held.size() < bufferSize) {
            ConsumerRecord<byte[], byte[]> r = reader.next();
            if (r == null) {
                drained = true;
            } else {
                held.add(r);
            }
        }
        if (held.isEmpty()) {
            return null;
        }
        ConsumerRecord<byte[], byte[]> out = takeAtRandom(held, random);
        taken++;
        return out;
    }

    /** Takes one of {@code held} (not empty) at random, the last one moving into its place: a reservoir's draw. */
    static <T> T takeAtRandom(List<T> held, SplittableRandom random) {
        int i = random.nextInt(held.size());
        T out = held.get(i);
        T last = held.remove(held.size() - 1);
        if (i < held.size()) {
            held.set(i, last);
        }
        return out;
    }
}
