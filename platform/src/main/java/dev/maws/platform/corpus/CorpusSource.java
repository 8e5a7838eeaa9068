package dev.maws.platform.corpus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;

/**
 * Where a corpus is: what a user gives {@code ./maws run --dataset PATH}, turned into its shards in
 * reading order.
 * <ul>
 * <li>{@code /data/cc3m/shard-00007.tar}: one shard (any file name but a compressed one).</li>
 * <li>{@code /data/cc3m}: every {@code .tar} under the directory (subdirectories too), sorted by the
 * path below it.</li>
 * <li>{@code /data/cc3m/shard-{00000..00099}.tar}: the shards a {@link ShardPattern} names, in the
 * pattern's order; every one must exist.</li>
 * <li>{@code s3://bucket/cc3m/shard-{0..9}.tar}, {@code s3://bucket/cc3m/shard-3.tar}: the same on S3.</li>
 * <li>{@code s3://bucket/cc3m/} (or without the trailing slash when no object has that name): every
 * {@code .tar} key under the prefix, in S3's lexicographic order.</li>
 * </ul>
 * A corpus has at most {@link ShardPattern#MAX_NAMES} shards. A location that names nothing, a
 * pattern with a missing shard, or a malformed pattern is an {@link IllegalArgumentException} saying
 * which; an S3 failure other than "not found" is an {@link UncheckedIOException}.
 */
public final class CorpusSource {
    private static final int MISSING_NAMED = 5;

    /** Null when this source reads local paths only. */
    private final MinioClient s3;

    /** Whether this source made its client (and closes it). */
    private final boolean owned;

    private CorpusSource(MinioClient s3) {
        this(s3, false);
    }

    private CorpusSource(MinioClient s3, boolean owned) {
        this.s3 = s3;
        this.owned = owned;
    }

    /** Local files and directories only. */
    public static CorpusSource local() {
        return new CorpusSource(null);
    }

    /**
     * Local paths and {@code s3://} locations read through {@code client}, whose endpoint and
     * credentials may differ from the platform bucket's; the caller owns and closes it.
     */
    public static CorpusSource withS3(MinioClient client) {
        return new CorpusSource(java.util.Objects.requireNonNull(client, "client"));
    }

    /**
     * Local paths, and {@code s3://} locations on the S3 that the environment names with the AWS CLI's
     * variables: {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} (default AWS,
     * {@code https://s3.amazonaws.com}), {@code AWS_REGION} or {@code AWS_DEFAULT_REGION} (default
     * {@code us-east-1}), {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY} (with
     * {@code AWS_SESSION_TOKEN} when set; none: anonymous, for public buckets). The caller owns the client
     * ({@link #close}).
     */
    public static CorpusSource forEnvironment(java.util.Map<String, String> env) {
        String endpoint = first(env, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "https://s3.amazonaws.com");
        String region = first(env, "AWS_REGION", "AWS_DEFAULT_REGION", "us-east-1");
        String key = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if ((key == null || key.isBlank()) != (secret == null || secret.isBlank())) {
            throw new IllegalArgumentException("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both or neither");
        }
        MinioClient.Builder b;
        try {
            b = MinioClient.builder().endpoint(endpoint).region(region);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the S3 endpoint " + endpoint + " (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL) is not a "
                    + "URL: " + e.getMessage(), e);
        }
        if (key != null && !key.isBlank()) {
            b.credentialsProvider(new io.minio.credentials.StaticProvider(key, secret, env.get("AWS_SESSION_TOKEN")));
        }
        return new CorpusSource(b.build(), true);
    }

    private static String first(java.util.Map<String, String> env, String a, String b, String otherwise) {
        for (String name : new String[] {a, b}) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return otherwise;
    }

    /** Closes the S3 client this source made ({@link #forEnvironment}); nothing for the others' own clients. */
    public void close() throws Exception {
        if (s3 != null && owned) {
            s3.close();
        }
    }

    /** The shards {@code location} names, in reading order (never empty). */
    public List<CorpusShard> shards(String location) {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("the corpus location is empty");
        }
        String lower = location.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz") || lower.endsWith(".tar.zst") || lower.endsWith(".tar.bz2")) {
            throw new IllegalArgumentException(location + " is compressed: shards must be plain .tar files, so that an image "
                    + "can be read back by its byte offset");
        }
        return location.startsWith("s3://") ? s3Shards(location) : localShards(location);
    }

    private static List<CorpusShard> localShards(String location) {
        Path path = Path.of(location);
        if (Files.isRegularFile(path)) {
            return List.of(CorpusShard.local(path));
        }
        if (Files.isDirectory(path)) {
            List<CorpusShard> found = directory(path);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("directory " + location + " holds no .tar files");
            }
            return found;
        }
        if (!ShardPattern.isPattern(location)) {
            throw new IllegalArgumentException("no such file or directory: " + location);
        }
        List<String> names = ShardPattern.expand(location);
        List<String> missing = names.stream().filter(n -> !Files.isRegularFile(Path.of(n))).toList();
        checkAllFound(location, names.size(), missing);
        return names.stream().map(n -> CorpusShard.local(Path.of(n))).toList();
    }

    private static List<CorpusShard> directory(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> tars = files.filter(f -> Files.isRegularFile(f) && isTar(f.getFileName().toString()))
                    .sorted((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString()))
                    .toList();
            checkCount(dir.toString(), tars.size());
            return tars.stream().map(CorpusShard::local).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private List<CorpusShard> s3Shards(String location) {
        if (s3 == null) {
            throw new IllegalArgumentException(location + " is on S3, and this corpus source was made without an S3 client");
        }
        String rest = location.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        if (bucket.isEmpty() || ShardPattern.isPattern(bucket)) {
            throw new IllegalArgumentException(location + " needs a bucket name (no pattern): s3://bucket/prefix/...");
        }
        if (ShardPattern.isPattern(key)) {
            List<String> names = ShardPattern.expand(key);
            int brace = key.indexOf('{');
            Set<String> present = new HashSet<>(list(bucket, key.substring(0, Math.max(0, brace))));
            List<String> missing = names.stream().filter(n -> !present.contains(n)).map(n -> "s3://" + bucket + "/" + n).toList();
            checkAllFound(location, names.size(), missing);
            return names.stream().map(n -> CorpusShard.s3(s3, bucket, n)).toList();
        }
        if (!key.isEmpty() && !key.endsWith("/") && exists(bucket, key)) {
            return List.of(CorpusShard.s3(s3, bucket, key));
        }
        String prefix = key.isEmpty() || key.endsWith("/") ? key : key + "/";
        List<String> tars = list(bucket, prefix).stream().filter(CorpusSource::isTar).sorted().toList();
        if (tars.isEmpty()) {
            throw new IllegalArgumentException(key.isEmpty() || key.endsWith("/")
                    ? "no .tar objects under " + location
                    : "no object " + location + ", and no .tar objects under s3://" + bucket + "/" + prefix);
        }
        checkCount(location, tars.size());
        return tars.stream().map(k -> CorpusShard.s3(s3, bucket, k)).toList();
    }

    private boolean exists(String bucket, String key) {
        try {
            s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
                return false;
            }
            throw noBucketOr(e, bucket, "cannot stat s3://" + bucket + "/" + key);
        } catch (Exception e) {
            throw new UncheckedIOException("cannot stat s3://" + bucket + "/" + key, new IOException(e.getMessage(), e));
        }
    }

    /** Every key under {@code prefix}, recursively; at most {@link ShardPattern#MAX_NAMES} .tar keys among them. */
    private List<String> list(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        int tars = 0;
        try {
            for (Result<Item> r : s3.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                String key = r.get().objectName();
                keys.add(key);
                if (isTar(key) && ++tars > ShardPattern.MAX_NAMES) {
                    checkCount("s3://" + bucket + "/" + prefix, tars);
                }
            }
            return keys;
        } catch (ErrorResponseException e) {
            throw noBucketOr(e, bucket, "cannot list s3://" + bucket + "/" + prefix);
        } catch (Exception e) {
            throw new UncheckedIOException("cannot list s3://" + bucket + "/" + prefix, new IOException(e.getMessage(), e));
        }
    }

    private static RuntimeException noBucketOr(ErrorResponseException e, String bucket, String message) {
        if ("NoSuchBucket".equals(e.errorResponse().code())) {
            return new IllegalArgumentException("no bucket " + bucket + " at this S3 endpoint");
        }
        return new UncheckedIOException(message, new IOException(e.getMessage(), e));
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code);
    }

    private static boolean isTar(String name) {
        return name.toLowerCase(Locale.ROOT).endsWith(".tar");
    }

    private static void checkAllFound(String location, int names, List<String> missing) {
        if (missing.size() == names) {
            throw new IllegalArgumentException("shard pattern " + location + " matches nothing (" + names
                    + " names, none exists; the first is " + missing.get(0) + ")");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("shard pattern " + location + ": " + missing.size() + " of " + names
                    + " shards do not exist: " + String.join(", ", missing.subList(0, Math.min(MISSING_NAMED, missing.size())))
                    + (missing.size() > MISSING_NAMED ? ", ..." : ""));
        }
    }

    private static void checkCount(String location, int shards) {
        if (shards > ShardPattern.MAX_NAMES) {
            throw new IllegalArgumentException(location + " holds more than " + ShardPattern.MAX_NAMES + " shards, the limit of one corpus");
        }
    }
}
