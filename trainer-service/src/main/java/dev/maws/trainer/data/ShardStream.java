package dev.maws.trainer.data;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMembers;

/**
 * One process's epoch of a corpus stored as shards ({@link ShardEpoch}), streamed: up to
 * {@code inFlight} shards are read at once, each with one ranged GET streamed from its first sample
 * to its last (a reader thread each, a short queue ahead), and their samples interleaved one by one
 * in a fixed round-robin ({@link ShardFeed}); a seeded reservoir ({@code bufferSize} samples, at most {@code bufferBytes}
 * of encoded images) shuffles them across shards. A shard's samples are those of its index that the
 * epoch's records name, in tar order, each with its records' labels; a record whose key the index
 * lacks is a bad image. The order depends only on the indexes, the records, the seed and the epoch,
 * never on what is read when: {@link #skip} replays it without reading an image, then reads the
 * samples the buffer holds at that point one by one and the shards on from where they were.
 */
final class ShardStream implements EpochSource {
    private static final long SHUFFLE = 0x5A4D5L;

    /** A sample of a shard: its place in the reading, where its image lies, its labels; or why it has none. */
    record Item(int shard, int member, long sample, long offset, int length, int[] labels, String error) {
        /** What it takes of the shuffle buffer's bytes: its image's, none when it will not be read. */
        long bytes() {
            return error == null ? length : 0;
        }
    }

    /** An item in the buffer: its bytes, once read. */
    static final class Held {
        final Item item;
        byte[] bytes;
        String error;
        /** Bytes of its reader's read-ahead room it holds until the merge takes it. */
        int permits;

        Held(Item item) {
            this.item = item;
            this.error = item.error();
        }
    }

    /** A shard being read: its items, how many the merge took, and (reading) its reader's queue. */
    private static final class Slot {
        final ShardEpoch.Shard shard;
        final List<Item> items;
        int at;
        BlockingQueue<Held> queue;
        Semaphore room;
        Future<?> reader;

        Slot(ShardEpoch.Shard shard, List<Item> items) {
            this.shard = shard;
            this.items = items;
        }
    }

    /** Tries at reading a shard's index before the epoch fails. */
    private static final int INDEX_READS = 3;

    private final ShardEpoch plan;
    private final ImageSource images;
    private final int inFlight;
    private final int bufferSize;
    private final long bufferBytes;
    private final int epoch;
    private final Map<Integer, Long> begin;
    private final Map<Integer, Long> end;
    private final SplittableRandom random;
    private final ExecutorService fetchPool;
    private final ExecutorService readers;
    private final List<Slot> slots = new ArrayList<>();
    private final List<Held> held = new ArrayList<>();
    /** Per entry handed out and not yet asked {@link #after}: index, shard, member reached. */
    private final ArrayDeque<long[]> reached = new ArrayDeque<>();
    private long heldBytes;
    private int nextShard;
    private int turn;
    private boolean drained;
    private boolean reading;
    /** Set by {@link #close}: the readers stop after the sample they are reading, never interrupted mid-GET. */
    private volatile boolean closed;
    private long taken;
    private int lastShard = -1;
    private int lastMember = -1;

    ShardStream(ShardEpoch plan, ImageSource images, int inFlight, int bufferSize, long bufferBytes, long seed, int epoch,
            Map<Integer, Long> begin, Map<Integer, Long> end, ExecutorService fetchPool, String name) {
        this.plan = plan;
        this.images = images;
        this.inFlight = Math.max(1, inFlight);
        this.bufferSize = Math.max(1, bufferSize);
        this.bufferBytes = Math.max(1, bufferBytes);
        this.epoch = epoch;
        this.begin = Map.copyOf(begin);
        this.end = Map.copyOf(end);
        this.random = new SplittableRandom(Seeds.mix(seed, SHUFFLE, epoch));
        this.fetchPool = fetchPool;
        int[] n = {0};
        this.readers = Executors.newFixedThreadPool(this.inFlight, r -> {
            Thread t = new Thread(r, "maws-shard-" + name + "-" + ++n[0]);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public int epoch() {
        return epoch;
    }

    @Override
    public Map<Integer, Long> begin() {
        return begin;
    }

    @Override
    public Map<Integer, Long> end() {
        return end;
    }

    /** The samples this process takes this epoch. */
    @Override
    public long records() {
        return plan.limit();
    }

    @Override
    public Entry next() throws InterruptedException {
        if (!reading) {
            startReading();
        }
        Held h = take(true);
        if (h == null) {
            return null;
        }
        long index = taken - 1;
        return new Entry(index, h.item.sample(), null, h.bytes, h.error, h.item.labels(), null);
    }

    @Override
    public void skip(long n) throws InterruptedException {
        if (reading) {
            throw new IllegalStateException("the stream is already reading");
        }
        for (long i = 0; i < n && take(false) != null; i++) {
            while (reached.size() > 1) { // replayed without reading an image; only the last is asked after
                reached.pollFirst();
            }
        }
    }

    @Override
    public DataPosition after(long index, DataPosition.Counters counters) {
        long[] at = null;
        while (!reached.isEmpty() && reached.peekFirst()[0] <= index) {
            at = reached.pollFirst();
        }
        if (at == null || at[0] != index) {
            throw new IllegalStateException("no entry " + index + " of the epoch's stream to stand after");
        }
        return new DataPosition(epoch, begin, end, index + 1, counters, plan.limit(), at[1], at[2]);
    }

    /**
     * A run streaming shards that resumes checks that the replayed epoch reaches the shard and sample its
     * checkpoint recorded: other records or indexes would make it another stream.
     */
    static void checkResumesWhereItStopped(DataPosition at, EpochSource epoch) {
        boolean shards = epoch instanceof ShardStream;
        DataPosition now;
        try {
            now = shards ? epoch.after(at.consumed() - 1, at.counters()) : null;
        } catch (IllegalStateException e) { // the replayed stream ended before the checkpoint's place in it
            now = new DataPosition(at.epoch(), at.begin(), at.end(), 0, at.counters(), 0, -2, -2);
        }
        if (shards != at.shard() >= 0 || (shards && (now.shard() != at.shard() || now.member() != at.member()))) {
            throw new DataException("epoch " + at.epoch() + " read again is not the stream the checkpoint was taken in (it "
                    + "recorded " + (at.shard() >= 0 ? "shard " + at.shard() + ", sample " + at.member() : "a record-by-record "
                    + "epoch") + "; now " + (shards ? "shard " + now.shard() + ", sample " + now.member() : "record by record")
                    + "): the topic's records or the shards' indexes changed", null);
        }
    }

    /** The next sample in training order, its bytes read when {@code read}; null once the process has its share. */
    private Held take(boolean read) throws InterruptedException {
        if (taken >= plan.limit()) {
            return null;
        }
        while (!drained && held.size() < bufferSize && heldBytes < bufferBytes) {
            Held h = pull(read);
            if (h == null) {
                drained = true;
            } else {
                held.add(h);
                heldBytes += h.item.bytes();
            }
        }
        if (held.isEmpty()) {
            return null;
        }
        Held out = EpochStream.takeAtRandom(held, random);
        heldBytes -= out.item.bytes();
        reached.addLast(new long[] {taken, lastShard, lastMember});
        taken++;
        return out;
    }

    /** The next sample of the round-robin over the shards being read; null when all are done. */
    private Held pull(boolean read) throws InterruptedException {
        if (slots.isEmpty() && nextShard == 0) {
            while (slots.size() < inFlight && nextShard < plan.mine().size()) {
                slots.add(open(nextShard++, read));
            }
        }
        while (!slots.isEmpty()) {
            turn %= slots.size();
            Slot slot = slots.get(turn);
            if (slot.at == slot.items.size()) { // done: the next shard takes its turn, or the slot goes
                if (nextShard < plan.mine().size()) {
                    slots.set(turn, open(nextShard++, read));
                } else {
                    slots.remove(turn);
                }
                continue;
            }
            Item item = slot.items.get(slot.at++);
            Held h = read ? fromReader(slot) : new Held(item);
            if (h.item != item) {
                throw new IllegalStateException("shard " + slot.shard.key() + ": its reader is out of step (" + h.item + " for "
                        + item + ")");
            }
            turn++;
            lastShard = item.shard();
            lastMember = item.member();
            return h;
        }
        return null;
    }

    /** The next sample a shard's reader read; its failure, should it end without handing it on. */
    private static Held fromReader(Slot slot) throws InterruptedException {
        while (true) {
            Held h = slot.queue.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            if (h != null) {
                slot.room.release(h.permits);
                return h;
            }
            if (slot.reader.isDone() && slot.queue.isEmpty()) {
                try {
                    slot.reader.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("reading shard " + slot.shard.key() + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
                throw new IllegalStateException("the reader of shard " + slot.shard.key() + " ended early");
            }
        }
    }

    /** The shard at {@code place} of this process's reading, its items listed (and, reading, its reader started). */
    private Slot open(int place, boolean read) throws InterruptedException {
        ShardEpoch.Shard shard = plan.mine().get(place);
        Slot slot = new Slot(shard, items(place, shard));
        if (read) {
            startReader(slot);
        }
        return slot;
    }

    /** A shard's samples that the records name, in tar order; then the records' keys its index lacks. */
    private List<Item> items(int place, ShardEpoch.Shard shard) throws InterruptedException {
        List<Item> items = new ArrayList<>(shard.labels().size());
        TreeSet<String> missing = new TreeSet<>(shard.labels().keySet());
        ShardIndex index = null;
        String why = null;
        for (int attempt = 1; index == null && why == null; attempt++) {
            try {
                index = images.index(shard.key());
            } catch (ShardMembers.NoIndexException e) { // the same on a resume: its samples are bad images
                why = e.getMessage();
            } catch (IOException e) { // one that may pass: the order must not depend on it
                if (attempt == INDEX_READS) {
                    throw new DataException("the index of shard " + shard.key() + " could not be read (" + INDEX_READS
                            + " tries): " + e.getMessage(), e);
                }
                Thread.sleep(1000L * attempt);
            }
        }
        int member = 0;
        if (index != null) {
            for (ShardIndex.Entry e : index.entries()) {
                if (shard.labels().containsKey(e.key())) {
                    missing.remove(e.key());
                    String error = e.length() > images.maxBytes() ? shard.key() + "#" + e.key() + " is larger than "
                            + "maws.trainer.data.max-image-bytes=" + images.maxBytes() : null;
                    items.add(new Item(place, member, sample(shard, member), e.offset(), e.length(), shard.labels().get(e.key()),
                            error));
                }
                member++;
            }
        }
        for (String key : missing) {
            String error = why != null ? why : "no key " + key + " in the index of " + shard.key();
            items.add(new Item(place, member, sample(shard, member), 0, 0, shard.labels().get(key), error));
            member++;
        }
        return items;
    }

    private static long sample(ShardEpoch.Shard shard, int member) {
        return (long) shard.ordinal() << 32 | member;
    }

    /**
     * Starts reading: the samples the buffer holds (a replayed stream's) one ranged GET each, on the
     * fetch pool; then a reader for each shard being read, from the sample the merge is at.
     */
    private void startReading() throws InterruptedException {
        reading = true;
        List<Future<?>> pending = new ArrayList<>();
        for (Held h : taken < plan.limit() ? held : List.<Held>of()) { // at the limit none of them is taken
            if (h.error == null && h.bytes == null) {
                pending.add(fetchPool.submit(() -> {
                    try {
                        h.bytes = images.range(plan.mine().get(h.item.shard()).key(), h.item.offset(), h.item.length());
                    } catch (IOException e) {
                        h.error = e.getMessage();
                    }
                }));
            }
        }
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        for (Slot slot : slots) {
            startReader(slot);
        }
    }

    private void startReader(Slot slot) {
        BlockingQueue<Held> queue = new ArrayBlockingQueue<>(ShardFeed.READ_AHEAD);
        Semaphore room = new Semaphore(ShardFeed.READ_AHEAD_BYTES);
        List<Item> items = slot.items.subList(slot.at, slot.items.size()); // from here, whenever the reader begins
        slot.queue = queue;
        slot.room = room;
        slot.reader = readers.submit(new ShardFeed(images, slot.shard.key(), items, queue, room, () -> closed));
    }

    /**
     * Stops the readers without interrupting them: each ends after the sample it is reading and closes its
     * stream (an S3 read interrupted mid-body may leave a pooled connection half-read; see
     * {@code BatchPipeline.stopFetching}).
     */
    @Override
    public void close() {
        closed = true;
        readers.shutdown();
    }
}
