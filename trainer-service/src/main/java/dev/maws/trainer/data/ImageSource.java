package dev.maws.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardMembers;
import dev.maws.platform.objectstore.ObjectStore;

/**
 * Encoded image bytes by {@code image_uri}, from the platform bucket through a size-bounded LRU
 * cache (a small training set is read from S3 once, not once per epoch). An {@code images/...} key
 * (or {@code s3://} URI of the platform bucket) is one object read whole; a {@link ShardMember}
 * ({@code shards/{dataset}/{shard}.tar#{key}}) is read through its shard's index with one ranged GET
 * ({@link ShardMembers}). Streaming shards read their samples through {@link #stream}. Thread-safe.
 */
public final class ImageSource {
    private static final String MAX_BYTES = "maws.trainer.data.max-image-bytes";

    private final ObjectStore store;
    private final ShardMembers members;
    private final int maxBytes;
    private final Cache<String, byte[]> cache;
    private final AtomicLong streams = new AtomicLong();
    private final AtomicLong gets = new AtomicLong();

    public ImageSource(ObjectStore store, int maxBytes, long cacheBytes) {
        this(store, maxBytes, cacheBytes, ShardMembers.DEFAULT_INDEX_CACHE_ENTRIES);
    }

    public ImageSource(ObjectStore store, int maxBytes, long cacheBytes, long indexCacheEntries) {
        this.store = store;
        this.members = new ShardMembers(store, indexCacheEntries);
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(cacheBytes)
                .weigher((String k, byte[] v) -> v.length + k.length() * 2 + 64).build();
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
        byte[] bytes = member ? members.read(uri, maxBytes, MAX_BYTES) : object(uri, key);
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
            throw new IOException(uri + " is larger than " + MAX_BYTES + "=" + maxBytes);
        }
        return bytes;
    }

    /** The index of the stored shard {@code shardKey}, read once while it stays in the cache. */
    ShardIndex index(String shardKey) throws IOException {
        return members.index(shardKey);
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
        gets.incrementAndGet();
        return members.range(shardKey, offset, length);
    }

    private String keyOf(String uri) throws IOException {
        try {
            return store.keyOf(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("image_uri \"" + uri + "\": " + e.getMessage());
        }
    }
}
