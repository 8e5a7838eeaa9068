package dev.maws.trainer.data;

import java.io.IOException;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.maws.platform.objectstore.ObjectStore;

/**
 * Encoded image bytes by {@code image_uri}, from the platform bucket through a size-bounded LRU
 * cache (a small training set is read from S3 once, not once per epoch). Thread-safe.
 */
public final class ImageSource {
    private final ObjectStore store;
    private final int maxBytes;
    private final Cache<String, byte[]> cache;

    public ImageSource(ObjectStore store, int maxBytes, long cacheBytes) {
        this.store = store;
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(cacheBytes)
                .weigher((String k, byte[] v) -> v.length + k.length() * 2 + 64).build();
    }

    /**
     * The bytes of an {@code images/...} key or {@code s3://bucket/key} URI of the platform bucket.
     *
     * @throws IOException naming the problem (missing object, other bucket, too large, unreadable)
     */
    public byte[] fetch(String uri) throws IOException {
        String key = keyOf(uri);
        byte[] cached = cache.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
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
        cache.put(key, bytes);
        return bytes;
    }

    private String keyOf(String uri) throws IOException {
        try {
            return store.keyOf(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException("image_uri \"" + uri + "\": " + e.getMessage());
        }
    }
}
