package dev.maws.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Encoded image bytes by {@code image_uri}, from the platform bucket through a size-bounded LRU
 * cache (a small training set is read from S3 once, not once per epoch). An {@code images/...} key
 * (or {@code s3://} URI of the platform bucket) is one object read whole; a {@link ShardMember}
 * ({@code shards/{dataset}/{shard}.tar#{key}}) is looked up in its shard's {@link ShardIndex} (read
 * once, kept in a cache bounded by entries) and read with one ranged GET of the shard object.
 * Thread-safe.
 */
public final class ImageSource {
    /** Index entries kept across all cached shard indexes (each ~100-300 bytes with its caption). */
    public static final long DEFAULT_INDEX_CACHE_ENTRIES = 500_000;
    /** Largest index object read: a shard of 100,000 samples with web captions is ~20 MB. */
    static final int MAX_INDEX_BYTES = 64 << 20;

    private final ObjectStore store;
    private final int maxBytes;
    private final Cache<String, byte[]> cache;
    private final Cache<String, ShardIndex> indexes;
    private final java.util.concurrent.atomic.AtomicLong streams = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong gets = new java.util.concurrent.atomic.AtomicLong();

    public ImageSource(ObjectStore store, int maxBytes, long cacheBytes) {
        this(store, maxBytes, cacheBytes, DEFAULT_INDEX_CACHE_ENTRIES);
    }

    public ImageSource(ObjectStore store, int maxBytes, long cacheBytes, long indexCacheEntries) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(cacheBytes)
                .weigher((String k, byte[] v) -> v.length + k.length() * 2 + 64).build();
        this.indexes = Caffeine.newBuilder().maximumWeight(indexCacheEntries)
                .weigher((String k, ShardIndex v) -> Math.max(1, v.entries().size())).build();
    }

    /**
     * The bytes of an {@code images/...} key, {@code s3://bucket/key} URI of the platform bucket, or
     * shard member {@code shards/{dataset}/{shard}.tar#{key}}.
     *
     * @throws IOException naming the problem (missing object, index or member, other bucket, too large, unreadable)
     */
    public byte[] fetch(String uri) throws IOException {
        boolean member = ShardMember.isMember(uri);
        String key = member ? uri : keyOf(uri);
        byte[] cached = cache.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = member ? member(uri) : object(uri, key);
        gets.incrementAndGet();
        cache.put(key, bytes);
        return bytes;
    }

    private byte[] object(String uri, String key) throws IOException {
        byte[] bytes;
        try { // one byte past the limit at most: a wrong image_uri may name any object
            bytes = store.findUpTo(key, maxBytes + 1)
                    .orElseThrow(() -> new IOException("no object s3://" + store.bucket() + "/" + key));
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
        if (bytes.length > maxBytes) {
            throw new IOException(uri + " is larger than maws.trainer.data.max-image-bytes=" + maxBytes);
        }
        return bytes;
    }

    private byte[] member(String uri) throws IOException {
        ShardMember member;
        try {
            member = ShardMember.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("image_uri \"" + uri + "\": " + e.getMessage());
        }
        ShardIndex.Entry entry = index(member).find(member.key()).orElseThrow(() -> new IOException("image_uri \"" + uri
                + "\": no key " + member.key() + " in the index s3://" + store.bucket() + "/" + member.indexKey()));
        if (entry.length() > maxBytes) {
            throw new IOException(uri + " is larger than maws.trainer.data.max-image-bytes=" + maxBytes);
        }
        try {
            return store.getRange(member.shardKey(), entry.offset(), entry.length());
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The shard's index, read once (concurrent callers of one shard wait for the same read). */
    private ShardIndex index(ShardMember member) throws IOException {
        return index(member.shardKey());
    }

    /** The index of the stored shard {@code shardKey}, read once while it stays in the cache. */
    ShardIndex index(String shardKey) throws IOException {
        try {
            return indexes.get(shardKey, key -> readIndex(ShardMember.indexKey(key)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Shard streams opened so far (one ranged GET each, read through). */
    public long streamsOpened() {
        return streams.get();
    }

    /** Images read one GET each so far (whole objects, shard members), cache hits aside. */
    public long imagesGot() {
        return gets.get();
    }

    /** Largest image read; a larger one is a bad image. */
    int maxBytes() {
        return maxBytes;
    }

    /** {@code length} bytes of the stored shard {@code shardKey} from {@code offset}, as one ranged GET streamed. */
    InputStream stream(String shardKey, long offset, long length) throws IOException {
        try {
            streams.incrementAndGet();
            return store.openRange(shardKey, offset, length);
        } catch (ObjectStore.ObjectStoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** {@code length} bytes of the stored shard {@code shardKey} from {@code offset} (one ranged GET, not cached). */
    byte[] range(String shardKey, long offset, int length) throws IOException {
        try {
            gets.incrementAndGet();
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
            try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
                return ShardIndex.read(in);
            }
        } catch (IllegalArgumentException | ObjectStore.ObjectStoreException e) {
            throw new UncheckedIOException(new IOException("shard index " + where + ": " + e.getMessage(), e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** There is no index object beside a shard: not a failure to read one, which may pass. */
    static final class NoIndexException extends IOException {
        NoIndexException(String message) {
            super(message);
        }
    }

    private String keyOf(String uri) throws IOException {
        try {
            return store.keyOf(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("image_uri \"" + uri + "\": " + e.getMessage());
        }
    }
}
