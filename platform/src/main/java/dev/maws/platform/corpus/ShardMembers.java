package dev.maws.platform.corpus;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.platform.objectstore.ObjectStore;

/**
 * Samples of shards stored in the platform bucket, read by reference ({@code shards/{dataset}/{shard}.tar#{key}},
 * {@link ShardMember}): the shard's {@link ShardIndex} (read once, kept in a cache bounded by entries)
 * gives where the image lies, one ranged GET of the shard object reads it. What the trainer and the
 * inference service both read a corpus's images with. Thread-safe.
 */
public final class ShardMembers {
    /** Index entries kept across all cached shard indexes (each ~100-300 bytes with its caption). */
    public static final long DEFAULT_INDEX_CACHE_ENTRIES = 500_000;
    /** Largest index object read: a shard of 100,000 samples with web captions is ~20 MB. */
    static final int MAX_INDEX_BYTES = 64 << 20;

    /** There is no index object beside a shard: not a failure to read one, which may pass. */
    public static final class NoIndexException extends IOException {
        NoIndexException(String message) {
            super(message);
        }
    }

    private final ObjectStore store;
    private final Cache<String, ShardIndex> indexes;

    public ShardMembers(ObjectStore store, long indexCacheEntries) {
        this.store = store;
        this.indexes = Caffeine.newBuilder().maximumWeight(indexCacheEntries)
                .weigher((String k, ShardIndex v) -> Math.max(1, v.entries().size())).build();
    }

    /**
     * The image bytes of the sample {@code uri} names.
     *
     * @param what the setting that bounds {@code maxBytes}, for the message
     * @throws IOException naming the problem (not a member reference, no index, no such key, larger than
     *     {@code maxBytes}, unreadable)
     */
    public byte[] read(String uri, int maxBytes, String what) throws IOException {
        ShardMember member;
        try {
            member = ShardMember.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("image_uri \"" + uri + "\": " + e.getMessage());
        }
        ShardIndex.Entry entry = index(member.shardKey()).find(member.key()).orElseThrow(() -> new IOException("image_uri \""
                + uri + "\": no key " + member.key() + " in the index s3://" + store.bucket() + "/" + member.indexKey()));
        if (entry.length() > maxBytes) {
            throw new IOException(uri + " is larger than " + what + "=" + maxBytes);
        }
        return range(member.shardKey(), entry.offset(), entry.length());
    }

    /** The index of the stored shard {@code shardKey}, read once while it stays in the cache (concurrent callers wait for one read). */
    public ShardIndex index(String shardKey) throws IOException {
        try {
            return indexes.get(shardKey, key -> readIndex(ShardMember.indexKey(key)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** {@code length} bytes of the stored shard {@code shardKey} from {@code offset} (one ranged GET). */
    public byte[] range(String shardKey, long offset, int length) throws IOException {
        try {
            return store.getRange(shardKey, offset, length);
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private ShardIndex readIndex(String indexKey) {
        String where = "s3://" + store.bucket() + "/" + indexKey;
        try {
            byte[] bytes = store.findUpTo(indexKey, MAX_INDEX_BYTES + 1)
                    .orElseThrow(() -> new NoIndexException("no shard index " + where + " (is the shard imported?)"));
            if (bytes.length > MAX_INDEX_BYTES) {
                throw new IOException("shard index " + where + " is larger than " + MAX_INDEX_BYTES + " bytes");
            }
            return ShardIndex.read(new ByteArrayInputStream(bytes));
        } catch (IllegalArgumentException | ObjectStore.ObjectStoreException e) {
            throw new UncheckedIOException(new IOException("shard index " + where + ": " + e.getMessage(), e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
