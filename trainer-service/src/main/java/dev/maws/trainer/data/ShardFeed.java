package dev.maws.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

/**
 * The reader of one shard of a {@link ShardStream}: its samples from one ranged GET streamed from the
 * first one's image to the last one's end (a new one past an oversized image), handed on in tar order
 * through a short queue bounded in samples and bytes. A stream that breaks (a read timeout included) is
 * opened again at the sample it broke at; after {@link #REOPENS} breaks in a row at one sample, the
 * shard's remaining samples are bad images with the reason. Once the stream is closed it stops after the sample it is
 * reading, never interrupted mid-GET.
 */
final class ShardFeed implements Callable<Void> {
    private static final Logger LOG = Logger.getLogger(ShardFeed.class);
    /** Times in a row a shard's stream is opened again after it broke at the same sample. */
    static final int REOPENS = 3;
    /** Samples a reader reads ahead of the merge, at most ... */
    static final int READ_AHEAD = 32;
    /** ... and at most this many bytes of them (a larger sample waits until the merge took the others). */
    static final int READ_AHEAD_BYTES = 16 << 20;
    /** Bytes between two samples (an oversized image's) beyond which a new GET starts at the next one. */
    static final long SKIP_BY_REOPENING = 4 << 20;

    private final ImageSource images;
    private final String shardKey;
    private final List<ShardStream.Item> items;
    private final BlockingQueue<ShardStream.Held> out;
    private final Semaphore room;
    private final BooleanSupplier closed;

    /**
     * @param out where the samples go, in order
     * @param room bytes the samples handed on and not yet taken may hold ({@link #READ_AHEAD_BYTES}; a
     *     sample takes {@link ShardStream.Held#permits} of them, its length up to all): the taker gives them back
     */
    ShardFeed(ImageSource images, String shardKey, List<ShardStream.Item> items, BlockingQueue<ShardStream.Held> out,
            Semaphore room, BooleanSupplier closed) {
        this.images = images;
        this.shardKey = shardKey;
        this.items = items;
        this.out = out;
        this.room = room;
        this.closed = closed;
    }

    @Override
    public Void call() throws InterruptedException {
        read();
        return null;
    }

    private void read() throws InterruptedException {
        int i = 0;
        int reopened = 0; // breaks in a row at sample brokeAt
        int brokeAt = -1;
        while (i < items.size()) {
            if (closed.getAsBoolean()) {
                return;
            }
            long from = -1;
            long to = -1;
            for (int j = i; j < items.size(); j++) {
                ShardStream.Item it = items.get(j);
                if (it.error() == null) {
                    from = from < 0 ? it.offset() : from;
                    to = it.offset() + it.length();
                }
            }
            if (from < 0 || to <= from) { // nothing left to read
                for (; i < items.size(); i++) {
                    ShardStream.Held h = new ShardStream.Held(items.get(i));
                    h.bytes = h.error == null ? new byte[0] : null;
                    if (!handOn(h)) {
                        return;
                    }
                }
                return;
            }
            try (InputStream in = images.stream(shardKey, from, to - from)) {
                long at = from;
                for (; i < items.size(); i++) {
                    ShardStream.Item it = items.get(i);
                    if (it.error() == null && it.offset() - at > SKIP_BY_REOPENING) {
                        break; // past an oversized image: a new GET from here, not its bytes read and dropped
                    }
                    ShardStream.Held h = new ShardStream.Held(it);
                    if (it.error() == null) {
                        if (it.offset() < at) {
                            throw new IllegalStateException("the index of " + shardKey + " has sample offsets out of order");
                        }
                        in.skipNBytes(it.offset() - at);
                        h.bytes = in.readNBytes(it.length());
                        if (h.bytes.length < it.length()) {
                            throw new IOException("s3 stream of " + shardKey + " ended at byte " + (it.offset() + h.bytes.length));
                        }
                        at = it.offset() + it.length();
                    }
                    if (!handOn(h)) {
                        return;
                    }
                }
            } catch (IOException e) { // a read timeout too (an InterruptedIOException): opened again like any break
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
                if (closed.getAsBoolean()) {
                    return;
                }
                reopened = i > brokeAt ? 1 : reopened + 1;
                brokeAt = i;
                if (reopened > REOPENS) {
                    LOG.warnf("%s: stream broke %d times, its last %d samples are bad images: %s", shardKey, reopened,
                            items.size() - i, e);
                    for (; i < items.size(); i++) {
                        ShardStream.Held h = new ShardStream.Held(items.get(i));
                        h.error = "reading " + shardKey + ": " + e;
                        if (!handOn(h)) {
                            return;
                        }
                    }
                    return;
                }
                LOG.infof("%s: stream broke at sample %d (%s); opening it again", shardKey, i, e);
                Thread.sleep(500L * reopened);
            }
        }
    }

    /** Hands a sample on to the merge, waiting for room (its bytes, then a place); false once the stream is closed. */
    private boolean handOn(ShardStream.Held h) throws InterruptedException {
        h.permits = h.bytes == null ? 0 : Math.min(h.bytes.length, READ_AHEAD_BYTES);
        boolean roomTaken = false;
        while (!closed.getAsBoolean()) {
            if (!roomTaken) {
                roomTaken = room.tryAcquire(h.permits, 100, TimeUnit.MILLISECONDS);
            } else if (out.offer(h, 100, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }
}
