package dev.maws.trainer.data;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import com.google.protobuf.InvalidProtocolBufferException;

import dev.maws.proto.v1.LabeledImage;

/**
 * An epoch read record by record: the {@link EpochStream}'s shuffled records, each usable one an image
 * to fetch by its {@code image_uri}. Every process of a job walks the same stream and takes every
 * {@code world}-th record that names a usable image ({@link BatchPipeline.Partition}); the records that
 * give no image are counted by every process.
 */
final class RecordEpoch implements EpochSource {
    private final EpochStream stream;
    private final BatchPipeline.LabelMap labelMap;
    private final BatchPipeline.Partition partition;
    /** Records of this epoch so far that give an image to fetch, whichever process takes it. */
    private long candidates;

    RecordEpoch(EpochStream stream, BatchPipeline.LabelMap labelMap, BatchPipeline.Partition partition) {
        this.stream = stream;
        this.labelMap = labelMap;
        this.partition = partition;
    }

    /** A record's image and labels, or why it gives none. */
    record Classified(String uri, int[] labels, Skip skip) {
        static Classified skipped(Skip why) {
            return new Classified(null, null, why);
        }
    }

    /** What a record of the training topic gives: an image with its labels ({@code labelMap} null: MAE, none), or a skip. */
    static Classified classify(ConsumerRecord<byte[], byte[]> r, BatchPipeline.LabelMap labelMap) {
        if (r.value() == null) { // a tombstone: the image was deleted from the compacted topic
            return Classified.skipped(Skip.DELETED);
        }
        LabeledImage image;
        try {
            image = LabeledImage.parseFrom(r.value());
        } catch (InvalidProtocolBufferException e) {
            image = null;
        }
        if (image == null || image.getImageUri().isEmpty()) {
            return Classified.skipped(Skip.BAD_RECORD);
        }
        int[] ls = labelMap == null ? null : labelMap.labels(image);
        if (ls != null && ls.length == 0) {
            return Classified.skipped(Skip.UNLABELLED);
        }
        return new Classified(image.getImageUri(), ls, null);
    }

    @Override
    public int epoch() {
        return stream.epoch();
    }

    @Override
    public Map<Integer, Long> begin() {
        return stream.begin();
    }

    @Override
    public Map<Integer, Long> end() {
        return stream.end();
    }

    @Override
    public long records() {
        return stream.records();
    }

    @Override
    public Entry next() throws InterruptedException {
        while (true) {
            ConsumerRecord<byte[], byte[]> r = stream.next();
            if (r == null) {
                return null;
            }
            Classified c = classify(r, labelMap);
            long index = stream.taken() - 1;
            if (c.skip() != null) {
                return new Entry(index, index, null, null, null, null, c.skip());
            }
            if (partition.takes(candidates++)) {
                return new Entry(index, index, c.uri(), null, null, c.labels(), null);
            }
        }
    }

    @Override
    public DataPosition after(long index, DataPosition.Counters counters) {
        return new DataPosition(stream.epoch(), stream.begin(), stream.end(), index + 1, counters, stream.records());
    }

    @Override
    public void skip(long n) throws InterruptedException {
        for (long i = 0; i < n; i++) {
            ConsumerRecord<byte[], byte[]> r = stream.next();
            if (r == null) {
                return;
            }
            if (classify(r, labelMap).skip() == null) {
                candidates++;
            }
        }
    }

    @Override
    public void close() {
        // the reader is the pipeline's
    }
}
