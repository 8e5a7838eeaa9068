package dev.maws.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

/**
 * The reader of one shard of a {@link ShardStream}: its samples from one ranged GET streamed from the
 * first one's image to the last one's end, handed on in tar order through a short queue. A stream that
 * breaks is opened again at the sample it broke at, {@link #REOPENS} times; then the shard's remaining
 * samples are bad images with the reason. Once the stream is closed it stops after the sample it is
 * reading, never interrupted mid-GET.
 */
final class ShardFeed implements Callable<Void> {
    private static final Logger LOG = Logger.getLogger(ShardFeed.class);
    /** Times a shard's stream is opened again after it broke, from the sample it broke at. */
    static final int REOPENS = 3;

    private final ImageSource images;
    private final String shardKey;
    private final List<ShardStream.Item> items;
    private final BlockingQueue<ShardStream.Held> out;
    private final BooleanSupplier closed;

    ShardFeed(ImageSource images, String shardKey, List<ShardStream.Item> items, BlockingQueue<ShardStream.Held> out,
            BooleanSupplier closed) {
        this.images = images;
        this.shardKey = shardKey;
        this.items = items;
        this.out = out;
        this.closed = closed;
    }

    @Override
    public Void call() throws InterruptedException {
        read();
        return null;
    }

    private void read() throws InterruptedException {
        int i = 0;
        int reopened = 0;
        while (i < items.size()) {
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
                    ShardStream.Held h = new ShardStream.Held(it);
                    if (it.error() == null) {
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
            } catch (IOException e) {
                if (e instanceof java.io.InterruptedIOException || Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
                if (closed.getAsBoolean()) {
                    return;
                }
                if (++reopened > REOPENS) {
                    LOG.warnf("%s: stream broke %d times, its last %d samples are bad images: %s", shardKey, reopened,
                            items.size() - i, e.getMessage());
                    for (; i < items.size(); i++) {
                        ShardStream.Held h = new ShardStream.Held(items.get(i));
                        h.error = "reading " + shardKey + ": " + e.getMessage();
                        if (!handOn(h)) {
                            return;
                        }
                    }
                    return;
                }
                LOG.infof("%s: stream broke at sample %d (%s); opening it again", shardKey, i, e.getMessage());
                Thread.sleep(500L * reopened);
            }
        }
    }

    /** Hands a sample on to the merge, waiting for room; false once the stream is closed. */
    private boolean handOn(ShardStream.Held h) throws InterruptedException {
        while (!closed.getAsBoolean()) {
            if (out.offer(h, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }
}
