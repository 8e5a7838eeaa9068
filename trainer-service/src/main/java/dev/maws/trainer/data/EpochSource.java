package dev.maws.trainer.data;

import java.util.Map;

/**
 * One epoch as one process takes it, in training order: each entry an image to fetch (or its bytes,
 * already read), or the reason a record gives none. Two kinds: {@link RecordEpoch} (the topic's
 * records, each image read by itself) and {@link ShardStream} (whole shards streamed).
 */
interface EpochSource extends AutoCloseable {
    /** Why a record gives no image; each has its counter. */
    enum Skip { BAD_RECORD, DELETED, UNLABELLED }

    /**
     * One entry of the epoch.
     *
     * @param index its place in this process's stream of the epoch (what {@code consumed} counts)
     * @param sample what seeds anything random about the sample (crop, mask): the same for the same
     *     image of the same epoch, whichever process or batch takes it
     * @param uri the image to fetch by its {@code image_uri}, or null when {@code bytes} or {@code error} is given
     * @param bytes the image's encoded bytes, read already
     * @param error why the image cannot be read (counted as a bad image)
     * @param labels vocabulary indices (WSP), null for MAE
     * @param skip why the record gives no image, or null
     */
    record Entry(long index, long sample, String uri, byte[] bytes, String error, int[] labels, Skip skip) {
        Entry withoutBytes() {
            return bytes == null ? this : new Entry(index, sample, uri, null, error, labels, skip);
        }
    }

    int epoch();

    Map<Integer, Long> begin();

    Map<Integer, Long> end();

    /** The epoch's records (this process's samples, streaming shards) when known; 0 when not. */
    long records();

    /** The next entry, or null at the end of the epoch (for this process). */
    Entry next() throws InterruptedException;

    /** Where the data stands after the entry of {@code index}, with job-wide {@code counters} up to it. */
    DataPosition after(long index, DataPosition.Counters counters);

    /** Moves past the first {@code n} entries without reading an image: a resumed epoch. */
    void skip(long n) throws InterruptedException;

    @Override
    void close();
}
