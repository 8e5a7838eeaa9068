package dev.maws.trainer.data;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import dev.maws.platform.image.ImageDecoder;
import dev.maws.platform.image.Pixels;
import dev.maws.proto.v1.LabeledImage;

/**
 * Kafka records -> batches, ahead of the training step: one thread walks the epoch's stream
 * ({@link EpochSource}) and keeps a window of images in flight on a pool (S3 get unless read already,
 * decode, augment); batches are assembled in stream order, so their content does not depend on which
 * fetch finishes first, and wait in a bounded queue for the step. A bad image is counted and replaced
 * by the next one; a record without a usable label (WSP) and a tombstone are counted and skipped. With
 * {@code skipSuperseded}, each epoch starts with a scan of its keys and skips the records that a later
 * one of the same key supersedes and the tombstones (counted as duplicates and deleted when the epoch
 * starts). When an epoch's stream ends, the incomplete last batch is dropped (counted) and the next
 * epoch starts with fresh end offsets.
 *
 * <p>An epoch whose records all name samples of stored shards is streamed whole shards at a time
 * ({@code streamShards}; {@link ShardEpoch}, {@link ShardStream}): each process of a job reads its own
 * shards. Otherwise it is read record by record ({@link RecordEpoch}): each process of a job
 * ({@link Partition}) walks the same stream as the others and fetches every {@code world}-th of its
 * records that name a usable image, so a step's images over all processes are the images of the same
 * step of a job of one process (unless an image turns out undecodable: the process that meets it takes
 * its next one). Either way every epoch of a job of several processes covers the offsets of its first
 * ({@link #startAt}).
 */
public final class BatchPipeline implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchPipeline.class);
    private static final long AUGMENT = 0xA06L;
    private static final Object END = new Object();

    /** Which vocabulary entries an image is labelled with; empty = no usable label. */
    @FunctionalInterface
    public interface LabelMap {
        int[] labels(LabeledImage image);
    }

    /** What the pipeline needs; see {@code maws.trainer.data.*}. */
    public record Settings(String bootstrapServers, String topic, String groupId, int batchSize, int imageSize,
            int channels, Augmentation augmentation, long seed, int fetchThreads, int prefetchBatches, int shuffleBuffer,
            double maxBadImageFraction, int badImageGrace, boolean skipSuperseded, Partition partition, boolean streamShards,
            int shardsInFlight, long shuffleBufferBytes, double maxShardImbalance) {}

    /**
     * Which images of each epoch's stream a process takes: of the records that name a usable image, those
     * whose number (counted from 0 each epoch) is {@code rank} modulo {@code world}. {@link #WHOLE} for a
     * job of one process.
     */
    public record Partition(int rank, int world) {
        public static final Partition WHOLE = new Partition(0, 1);

        public Partition {
            if (world < 1 || rank < 0 || rank >= world) {
                throw new IllegalArgumentException("rank " + rank + " of a world of " + world);
            }
        }

        boolean takes(long index) {
            return index % world == rank;
        }
    }

    private final Settings s;
    private final ImageSource images;
    private final ImageDecoder decoder;
    private final LabelMap labelMap;
    private final Pixels.Normalization norm;
    private final EpochReader reader;
    private DataPosition start;
    private final boolean resumed;
    private final ThreadPoolExecutor pool;
    private final BlockingQueue<Object> ready;
    private final Thread thread;
    private volatile Throwable failure;

    /**
     * Takes the first epoch's offsets now (or those of {@code resumeFrom}) so that {@link #start()}
     * can tell the caller how large an epoch is before training starts.
     *
     * @param labelMap null for MAE (no labels needed)
     * @param resumeFrom the position of the last checkpoint, or null for a fresh run
     */
    public BatchPipeline(Settings settings, ImageSource images, ImageDecoder decoder, LabelMap labelMap,
            DataPosition resumeFrom) {
        this.s = settings;
        this.images = images;
        this.decoder = decoder;
        this.labelMap = labelMap;
        this.norm = Pixels.Normalization.standard(settings.channels());
        this.reader = new EpochReader(settings.bootstrapServers(), settings.topic(), settings.groupId());
        this.resumed = resumeFrom != null;
        if (resumeFrom != null) {
            this.start = resumeFrom;
        } else {
            EpochReader.Offsets range;
            try {
                range = reader.snapshot();
            } catch (RuntimeException e) { // the consumer must not linger (its sockets, its JMX name)
                reader.close();
                throw e;
            }
            this.start = new DataPosition(0, range.begin(), range.end(), 0, DataPosition.Counters.ZERO, 0);
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(settings.fetchThreads(), settings.fetchThreads(), 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "maws-fetch-" + settings.groupId() + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.ready = new ArrayBlockingQueue<>(Math.max(1, settings.prefetchBatches()));
        this.thread = new Thread(this::produce, "maws-data-" + settings.groupId());
        this.thread.setDaemon(true);
    }

    /** Where the pipeline starts: epoch, offsets and counters. */
    public DataPosition start() {
        return start;
    }

    /**
     * A fresh pipeline's first epoch covers [begin, end) instead of the offsets it found: those another
     * process of the job found, so that every process walks the same stream. Before {@link #begin} only.
     */
    public void startAt(Map<Integer, Long> begin, Map<Integer, Long> end) {
        if (resumed || thread.getState() != Thread.State.NEW) {
            throw new IllegalStateException("only a fresh pipeline that has not begun can be moved");
        }
        start = new DataPosition(0, begin, end, 0, DataPosition.Counters.ZERO, 0);
    }

    /** Whether every epoch covers the first one's offsets (a job of several processes). */
    private boolean fixedRange() {
        return s.partition().world() > 1;
    }

    /** The smallest budget {@link #countEpochRecords} takes: one offset per window of a sampled count. */
    public static final long MIN_PLAN_COUNT_BUDGET = EpochReader.WINDOWS;

    /**
     * Records of the first epoch, for the step plan: its offset range less the records that are not
     * there (compacted away, tombstones) and, with {@code skipSuperseded}, less the superseded ones.
     * With it, the epoch's key scan (which the epoch then uses) counts them exactly, whatever the
     * budget; without it, see {@link EpochReader#countRecords}. Before {@link #begin} only.
     *
     * @return the count, or -1 once {@code cancelled} says so
     */
    public long countEpochRecords(long budget, java.util.function.BooleanSupplier cancelled) throws InterruptedException {
        if (thread.getState() != Thread.State.NEW) {
            throw new IllegalStateException("the pipeline is already reading");
        }
        if (s.skipSuperseded()) {
            EpochReader.KeyScan scan = reader.scanKeys(start.begin(), start.end(), cancelled);
            return scan == null ? -1 : scan.records();
        }
        return reader.countRecords(start.begin(), start.end(), budget, cancelled);
    }

    /** The epoch's key scan when superseded records are skipped, else null. Interrupted when the pipeline closes. */
    private EpochReader.KeyScan scan(Map<Integer, Long> begin, Map<Integer, Long> end) throws InterruptedException {
        return s.skipSuperseded() ? reader.scanKeys(begin, end, () -> false) : null;
    }

    /** Starts reading ahead. */
    public BatchPipeline begin() {
        thread.start();
        return this;
    }

    /**
     * The next batch, waiting for it if the pipeline is behind; null once {@code cancelled} says so.
     *
     * @throws DataException when the pipeline failed (the reason is the message)
     */
    public Batch next(java.util.function.BooleanSupplier cancelled) throws InterruptedException {
        Object item = null;
        while (item == null) {
            if (cancelled.getAsBoolean()) {
                return null;
            }
            item = ready.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (item == END) {
            ready.offer(END); // later calls fail the same way
            throw new DataException(failure.getMessage(), failure);
        }
        return (Batch) item;
    }

    private record Pending(EpochSource.Entry entry, Future<float[]> image) {}

    private void produce() {
        try {
            run();
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable t) {
            failure = t;
            ready.clear();
            ready.offer(END);
        } finally {
            // an interrupt (close) has done its work; left set, it makes the consumer's close fail and log an
            // ERROR with a stack trace at every job end
            Thread.interrupted();
            reader.close();
        }
    }

    private void run() throws InterruptedException {
        int per = s.channels() * s.imageSize() * s.imageSize();
        int window = s.batchSize() * (s.prefetchBatches() + 1);
        DataPosition at = start;
        DataPosition.Counters counters = at.counters();
        Opened opened = open(at.epoch(), at.begin(), at.end());
        EpochSource epoch = opened.source();
        if (!resumed) { // a resumed epoch's are in the counters it resumes with
            counters = counters.plus(opened.counts());
        }
        try {
            if (at.consumed() > 0) {
                epoch.skip(at.consumed());
                if (s.streamShards()) {
                    ShardStream.checkResumesWhereItStopped(at, epoch);
                }
            }
            ArrayDeque<Pending> inFlight = new ArrayDeque<>();
            boolean epochEnded = false;
            long batchesThisEpoch = at.consumed() > 0 ? 1 : 0;
            float[] pixels = new float[s.batchSize() * per];
            int[][] labels = labelMap == null ? null : new int[s.batchSize()][];
            long[] samples = new long[s.batchSize()];
            int k = 0;
            String lastBadReason = "";
            while (true) {
                while (!epochEnded && inFlight.size() < window) {
                    EpochSource.Entry e = epoch.next();
                    if (e == null) {
                        epochEnded = true;
                    } else {
                        // the encoded bytes go with the fetch only: the window holds decoded images, not both
                        inFlight.add(new Pending(e.withoutBytes(), e.skip() == null ? fetch(e, epoch.epoch(), per) : null));
                    }
                }
                if (inFlight.isEmpty()) {
                    if (batchesThisEpoch == 0) {
                        throw new DataException("epoch " + epoch.epoch() + " of topic " + s.topic() + " gave fewer usable images ("
                                + k + ") than one batch of " + s.batchSize() + " (" + counters + ")", null);
                    }
                    EpochReader.Offsets range = fixedRange() ? new EpochReader.Offsets(start.begin(), start.end())
                            : reader.snapshot();
                    epoch.close();
                    opened = open(epoch.epoch() + 1, range.begin(), range.end());
                    epoch = opened.source();
                    counters = counters.plus(opened.counts()).plus(0, 0, 0, 0, k, 0, 0);
                    k = 0;
                    epochEnded = false;
                    batchesThisEpoch = 0;
                    continue;
                }
                Pending p = inFlight.poll();
                if (p.entry().skip() != null) {
                    counters = switch (p.entry().skip()) {
                        case BAD_RECORD -> counters.plus(0, 0, 1, 0, 0, 0, 0);
                        case UNLABELLED -> counters.plus(0, 0, 0, 1, 0, 0, 0);
                        case DELETED -> counters.plus(0, 0, 0, 0, 0, 1, 0);
                    };
                } else {
                    try {
                        float[] img = p.image().get();
                        System.arraycopy(img, 0, pixels, k * per, per);
                        if (labels != null) {
                            labels[k] = p.entry().labels();
                        }
                        samples[k] = p.entry().sample();
                        k++;
                    } catch (ExecutionException e) {
                        counters = counters.plus(0, 1, 0, 0, 0, 0, 0);
                        lastBadReason = e.getCause().getMessage();
                        long tried = counters.images() + counters.badImages() + k;
                        if (tried >= s.badImageGrace() && counters.badImages() > s.maxBadImageFraction() * tried) {
                            throw new DataException(counters.badImages() + " of " + tried + " images could not be used, more "
                                    + "than maws.trainer.data.max-bad-image-fraction=" + s.maxBadImageFraction() + "; last: "
                                    + lastBadReason, e.getCause());
                        }
                    }
                }
                if (k == s.batchSize()) {
                    counters = counters.plus(k, 0, 0, 0, 0, 0, 0);
                    ready.put(new Batch(pixels, k, labels, samples, epoch.after(p.entry().index(), counters)));
                    batchesThisEpoch++;
                    pixels = new float[s.batchSize() * per];
                    labels = labelMap == null ? null : new int[s.batchSize()][];
                    samples = new long[s.batchSize()];
                    k = 0;
                }
            }
        } finally {
            epoch.close();
        }
    }

    /** An epoch's source, and what its start counted (superseded, deleted; streaming shards: every record's skip). */
    private record Opened(EpochSource source, DataPosition.Counters counts) {}

    /**
     * The epoch of [begin, end): its key scan, then (streaming shards) its records grouped by shard and
     * dealt, or else its records one by one.
     */
    private Opened open(int epoch, Map<Integer, Long> begin, Map<Integer, Long> end) throws InterruptedException {
        EpochReader.KeyScan scan = scan(begin, end);
        DataPosition.Counters counts = DataPosition.Counters.ZERO.plus(0, 0, 0, 0, 0, scan == null ? 0 : scan.tombstones(),
                scan == null ? 0 : scan.duplicates());
        DataPosition range = new DataPosition(epoch, begin, end, 0, counts, 0);
        if (s.streamShards()) {
            reader.start(begin, end, scan);
            ShardEpoch.Dealt dealt = ShardEpoch.deal(reader::next, range.span(), labelMap, s.partition(), s.seed(), epoch,
                    s.maxShardImbalance());
            ShardEpoch plan = dealt.epoch();
            if (plan == null) {
                LOG.infof("%s: epoch %d is read record by record, not shard by shard: %s", s.groupId(), epoch,
                        dealt.recordByRecord());
            } else {
                LOG.infof("%s: epoch %d starts, offset range %d, %d shards, %d of them (%d samples) read here, %d samples "
                        + "taken by each of %d processes", s.groupId(), epoch, range.span(), plan.shards(), plan.mine().size(),
                        plan.dealt(), plan.limit(), s.partition().world());
                counts = counts.plus(0, 0, plan.badRecords(), plan.unlabelled(), plan.dealt() - plan.limit(), plan.deleted(),
                        plan.duplicates());
                return new Opened(new ShardStream(plan, images, s.shardsInFlight(), s.shuffleBuffer(), s.shuffleBufferBytes(),
                        s.seed(), epoch, begin, end, pool, s.groupId()), counts);
            }
        }
        LOG.infof("%s: epoch %d starts, offset range %d%s", s.groupId(), epoch, range.span(), scan == null ? ""
                : ", " + scan.records() + " records, " + scan.duplicates() + " superseded, " + scan.tombstones() + " deleted");
        return new Opened(new RecordEpoch(new EpochStream(reader, s.shuffleBuffer(), s.seed(), epoch, begin, end, scan),
                labelMap, s.partition()), counts);
    }

    /** Fetches (or takes the read bytes of), decodes and augments an entry's image on the pool (augmentation seeded by its sample). */
    private Future<float[]> fetch(EpochSource.Entry e, int epoch, int per) {
        long seed = Seeds.mix(s.seed(), AUGMENT, epoch, e.sample());
        return pool.submit(() -> {
            if (e.error() != null) {
                throw new java.io.IOException(e.error());
            }
            float[] out = new float[per];
            s.augmentation().apply(decoder, e.bytes() != null ? e.bytes() : images.fetch(e.uri()), s.channels(), s.imageSize(),
                    norm, new SplittableRandom(seed), out, 0);
            return out;
        });
    }

    /**
     * Fetches not begun are dropped; those under way finish (one image each) rather than being
     * interrupted: an S3 read interrupted mid-body is suspected of leaving a pooled HTTP connection
     * half-read for the next request (seen once: a job file read back truncated, then "Unexpected
     * status line" on the shared S3 client, right after a job's pipeline closed).
     */
    private void stopFetching() {
        pool.getQueue().clear();
        pool.shutdown();
    }

    @Override
    public void close() {
        if (thread.getState() == Thread.State.NEW) {
            reader.close(); // never begun: the reading thread would have closed it
            stopFetching();
            return;
        }
        thread.interrupt();
        stopFetching();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
