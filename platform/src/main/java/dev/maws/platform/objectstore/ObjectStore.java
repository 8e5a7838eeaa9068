package dev.maws.platform.objectstore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;

/**
 * The platform bucket: the one S3 client of every service. Keys are relative to the bucket
 * ({@code checkpoints/job-1/step-400/manifest.json}); keys that could escape a prefix are refused.
 */
public final class ObjectStore implements AutoCloseable {
    private static final int LIST_ATTEMPTS = 3;

    /** How {@link #list} waits before a retry (tests act in that pause: the server error is real). */
    interface RetryPause {
        void pause(long millis) throws InterruptedException;
    }

    private final MinioClient client;
    private final String bucket;
    private final RetryPause retryPause;

    public ObjectStore(String endpoint, String region, String accessKey, String secretKey, String bucket) {
        this(endpoint, region, accessKey, secretKey, bucket, Thread::sleep);
    }

    ObjectStore(String endpoint, String region, String accessKey, String secretKey, String bucket, RetryPause retryPause) {
        this.client = MinioClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey).build();
        this.bucket = bucket;
        this.retryPause = retryPause;
    }

    public static ObjectStore of(ObjectStoreConfig config) {
        return new ObjectStore(config.endpoint(), config.region(), config.accessKey(), config.secretKey(), config.bucket());
    }

    /**
     * A store from the {@code maws.s3.*} properties of a service's configuration (what {@link ObjectStoreConfig}
     * maps), e.g. a devstack's {@code serviceConfig()} in tests and benchmarks.
     */
    public static ObjectStore of(java.util.Map<String, String> properties) {
        return new ObjectStore(properties.get("maws.s3.endpoint"), properties.get("maws.s3.region"),
                properties.get("maws.s3.access-key"), properties.get("maws.s3.secret-key"), properties.get("maws.s3.bucket"));
    }

    public String bucket() {
        return bucket;
    }

    /**
     * Checks a key from outside (a request, a record): non-empty, plain path segments only, no
     * {@code ..} or {@code .} segment, no leading slash, at most 1024 bytes (the S3 limit).
     *
     * @return the key
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static String checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("object key is empty");
        }
        if (key.length() > 1024) {
            throw new IllegalArgumentException("object key is longer than 1024 characters");
        }
        // one pass, no regular expression: every record label-service reads has its image key checked
        boolean dotSegment = false;
        int segmentStart = 0;
        for (int i = 0; i <= key.length(); i++) {
            if (i == key.length() || key.charAt(i) == '/') {
                int length = i - segmentStart;
                if (length == 0 && (i < key.length() || segmentStart == 0)) { // a leading '/', or "//"
                    throw unsafeKey(key);
                }
                dotSegment |= length > 0 && length <= 2 && key.charAt(segmentStart) == '.' && key.charAt(i - 1) == '.';
                segmentStart = i + 1;
            } else if (!isKeyChar(key.charAt(i))) {
                throw unsafeKey(key);
            }
        }
        if (dotSegment) {
            throw new IllegalArgumentException("object key \"" + abbreviate(key) + "\" must not contain '.' or '..' segments");
        }
        return key;
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' || c == '_' || c == '.'
                || c == '*' || c == '\'' || c == '(' || c == ')' || c == '-';
    }

    private static IllegalArgumentException unsafeKey(String key) {
        return new IllegalArgumentException("object key \"" + abbreviate(key)
                + "\" must be path segments of letters, digits and !_.*'()- separated by single '/'");
    }

    /**
     * The key of an object reference from outside: a key of this bucket ({@code images/...}) or an
     * {@code s3://bucket/key} URI naming this bucket.
     *
     * @throws IllegalArgumentException when it names another bucket or the key fails {@link #checkKey}
     */
    public String keyOf(String uri) {
        if (uri == null || !uri.startsWith("s3://")) {
            return checkKey(uri);
        }
        String rest = uri.substring("s3://".length());
        int slash = rest.indexOf('/');
        if (slash < 0 || !rest.substring(0, slash).equals(bucket)) {
            throw new IllegalArgumentException(abbreviate(uri) + " is not in the platform bucket " + bucket);
        }
        return checkKey(rest.substring(slash + 1));
    }

    public void put(String key, byte[] data, String contentType) {
        checkKey(key);
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(new ByteArrayInputStream(data), data.length, -1).contentType(contentType).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot write s3://" + bucket + "/" + key, e);
        }
    }

    /**
     * Uploads what {@code in} yields until it ends, a length not known in advance, in parts of
     * {@code partBytes} (at least 5 MiB; one PUT when it all fits in one part, a multipart upload
     * otherwise): the object appears whole when the stream ends, or not at all. Nothing is spooled to
     * disk, and at most one part is held in memory.
     */
    public void putStream(String key, InputStream in, long partBytes, String contentType) {
        checkKey(key);
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(in, -1, partBytes)
                    .contentType(contentType).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot write s3://" + bucket + "/" + key, e);
        }
    }

    /** A stream of the object's bytes (the caller closes it); a missing object is an {@link ObjectStoreException}. */
    public InputStream open(String key) {
        checkKey(key);
        try {
            return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (ErrorResponseException e) {
            throw new ObjectStoreException((isNotFound(e) ? "no object s3://" : "cannot read s3://") + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key, e);
        }
    }

    /**
     * A stream of {@code length} bytes of the object from byte {@code offset} (one ranged GET, read as
     * the caller reads; the caller closes it): the images of a stored shard, streamed in tar order.
     *
     * @throws ObjectStoreException when there is no such object
     */
    public InputStream openRange(String key, long offset, long length) {
        checkKey(key);
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("a range needs offset >= 0 and length > 0, got " + offset + ", " + length);
        }
        try {
            return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).offset(offset).length(length).build());
        } catch (ErrorResponseException e) {
            throw new ObjectStoreException((isNotFound(e) ? "no object s3://" : "cannot read s3://") + bucket + "/" + key
                    + " at " + offset + "+" + length, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key + " at " + offset + "+" + length, e);
        }
    }

    /**
     * {@code length} bytes of the object from byte {@code offset} (one ranged GET): an image inside a
     * stored shard, read through its index.
     *
     * @throws ObjectStoreException when there is no such object, or it ends before {@code offset + length}
     */
    public byte[] getRange(String key, long offset, int length) {
        checkKey(key);
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("a range needs offset >= 0 and length >= 0, got " + offset + ", " + length);
        }
        if (length == 0) {
            return new byte[0];
        }
        byte[] bytes;
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).offset(offset)
                .length((long) length).build())) {
            bytes = in.readNBytes(length);
        } catch (ErrorResponseException e) {
            throw new ObjectStoreException((isNotFound(e) ? "no object s3://" : "cannot read s3://") + bucket + "/" + key
                    + " at " + offset + "+" + length, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key + " at " + offset + "+" + length, e);
        }
        if (bytes.length < length) {
            throw new ObjectStoreException("s3://" + bucket + "/" + key + " ends before byte " + (offset + length), null);
        }
        return bytes;
    }

    /** The object's bytes, or empty when there is no such object. */
    public Optional<byte[]> find(String key) {
        return read(key, InputStream::readAllBytes); // an object over 2 GB fails rather than coming back cut
    }

    /**
     * The object's first {@code limit} bytes (all of them when it is smaller), or empty when there is
     * no such object: a caller that bounds what it accepts asks for one byte more than its bound and
     * refuses a longer answer without reading the rest of a large object into memory.
     */
    public Optional<byte[]> findUpTo(String key, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        return read(key, in -> in.readNBytes(limit));
    }

    private interface Body {
        byte[] read(InputStream in) throws IOException;
    }

    private Optional<byte[]> read(String key, Body body) {
        checkKey(key);
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return Optional.of(body.read(in));
        } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
                return Optional.empty();
            }
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key, e);
        }
    }

    /** The object's bytes; a missing object is an {@link ObjectStoreException} naming it. */
    public byte[] get(String key) {
        return find(key).orElseThrow(() -> new ObjectStoreException("no object s3://" + bucket + "/" + key, null));
    }

    public boolean exists(String key) {
        checkKey(key);
        try {
            client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
                return false;
            }
            throw new ObjectStoreException("cannot stat s3://" + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot stat s3://" + bucket + "/" + key, e);
        }
    }

    /**
     * Keys under {@code prefix} (recursively), in S3's lexicographic order. A server error is retried
     * twice (S3 asks clients to retry 5xx answers; the devstack's S3Proxy gives one when a listing
     * meets an object still being written).
     */
    public List<String> list(String prefix) {
        checkKey(prefix);
        for (int attempt = 1;; attempt++) {
            List<String> keys = new ArrayList<>();
            try {
                for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(bucket)
                        .prefix(prefix).recursive(true).build())) {
                    keys.add(r.get().objectName());
                }
                return keys;
            } catch (Exception e) {
                if (attempt >= LIST_ATTEMPTS || !isServerError(e)) {
                    throw new ObjectStoreException("cannot list s3://" + bucket + "/" + prefix, e);
                }
            }
            try {
                retryPause.pause(50L * attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ObjectStoreException("interrupted while listing s3://" + bucket + "/" + prefix, e);
            }
        }
    }

    private static boolean isServerError(Exception e) {
        return e instanceof ServerException || e instanceof InvalidResponseException
                || e instanceof ErrorResponseException r && r.response() != null && r.response().code() >= 500;
    }

    public void delete(String key) {
        checkKey(key);
        try {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot delete s3://" + bucket + "/" + key, e);
        }
    }

    /** True when the bucket is reachable with these credentials (readiness). */
    public boolean bucketExists() {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot reach bucket " + bucket, e);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            throw new ObjectStoreException("cannot close the S3 client", e);
        }
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** An S3 call that failed; the message names the object. */
    public static final class ObjectStoreException extends RuntimeException {
        public ObjectStoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
