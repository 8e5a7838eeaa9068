package dev.maws.platform.corpus;

import dev.maws.platform.objectstore.ObjectStore;

/**
 * One sample of a corpus stored in the platform bucket, as a caption record's {@code image_uri}
 * names it: {@code shards/{dataset}/{shard}.tar#{key}}. The shard is one object
 * ({@code shards/{dataset}/{shard}.tar}), its {@link ShardIndex} the object
 * {@code shards/{dataset}/{shard}.index.jsonl} beside it, and {@code key} the sample's WebDataset key
 * in that index. The reference splits at its first {@code #}: an object key never holds one
 * ({@link ObjectStore#checkKey}), a sample key may.
 *
 * <p>This is the one definition of the format: the corpus import writes it, label-service checks it,
 * the trainer resolves it.
 *
 * @param shardKey the shard's object key: {@code shards/{dataset}/{shard}.tar}, a valid object key
 * @param key the sample's key: 1 to {@link #MAX_KEY_CHARS} characters, no control characters
 */
public record ShardMember(String shardKey, String key) {
    public static final String PREFIX = "shards/";
    public static final char SEPARATOR = '#';
    public static final String SHARD_SUFFIX = ".tar";
    public static final String INDEX_SUFFIX = ".index.jsonl";
    public static final int MAX_KEY_CHARS = 512;

    /** @throws IllegalArgumentException saying what is wrong with either part */
    public ShardMember {
        checkShardKey(shardKey);
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_CHARS) {
            throw new IllegalArgumentException("a shard member's key must be 1-" + MAX_KEY_CHARS + " characters, got "
                    + (key == null ? "none" : key.length()));
        }
        for (int i = 0; i < key.length(); i++) {
            if (Character.isISOControl(key.charAt(i))) {
                throw new IllegalArgumentException("a shard member's key must not hold control characters");
            }
        }
    }

    /** Whether {@code uri} is meant as a shard member (it holds a {@link #SEPARATOR}); {@link #parse} checks it. */
    public static boolean isMember(String uri) {
        return uri != null && uri.indexOf(SEPARATOR) >= 0;
    }

    /**
     * The member {@code shards/{dataset}/{shard}.tar#{key}} names.
     *
     * @throws IllegalArgumentException when it is not of that form
     */
    public static ShardMember parse(String uri) {
        int at = uri == null ? -1 : uri.indexOf(SEPARATOR);
        if (at < 0) {
            throw new IllegalArgumentException("a shard member reference is shards/{dataset}/{shard}.tar#{key}, got "
                    + abbreviate(uri));
        }
        return new ShardMember(uri.substring(0, at), uri.substring(at + 1));
    }

    /** The stored shard {@code shards/{dataset}/{shard}.tar}. */
    public static String shardKey(String dataset, String shard) {
        return checkShardKey(PREFIX + dataset + "/" + shard + SHARD_SUFFIX);
    }

    /** The index object beside the shard object {@code shardKey}. */
    public static String indexKey(String shardKey) {
        checkShardKey(shardKey);
        return shardKey.substring(0, shardKey.length() - SHARD_SUFFIX.length()) + INDEX_SUFFIX;
    }

    /** {@code shards/{dataset}/{shard}.tar#{key}} */
    public String uri() {
        return shardKey + SEPARATOR + key;
    }

    public String indexKey() {
        return indexKey(shardKey);
    }

    private static String checkShardKey(String shardKey) {
        try {
            ObjectStore.checkKey(shardKey);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a shard member's shard: " + e.getMessage());
        }
        int slash = shardKey.indexOf('/', PREFIX.length());
        if (!shardKey.startsWith(PREFIX) || slash < 0 || shardKey.indexOf('/', slash + 1) >= 0
                || !shardKey.endsWith(SHARD_SUFFIX) || shardKey.length() - slash - 1 <= SHARD_SUFFIX.length()) {
            throw new IllegalArgumentException("a shard member's shard must be " + PREFIX + "{dataset}/{shard}" + SHARD_SUFFIX
                    + ", got " + abbreviate(shardKey));
        }
        return shardKey;
    }

    private static String abbreviate(String s) {
        return s == null ? "nothing" : s.length() <= 100 ? s : s.substring(0, 97) + "...";
    }

    @Override
    public String toString() {
        return uri();
    }
}
