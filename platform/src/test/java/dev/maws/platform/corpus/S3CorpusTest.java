package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.maws.devstack.EmbeddedS3;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;

/** Corpora in a bucket of their own on the devstack's S3 server (not the platform bucket). */
class S3CorpusTest {
    private static final String BUCKET = "corpora";

    @TempDir
    static Path dir;
    static EmbeddedS3 s3;
    static MinioClient client;
    static final byte[] CAT = Tars.jpeg(33, 21, 7);

    @BeforeAll
    static void start() throws Exception {
        s3 = new EmbeddedS3(dir.resolve("s3"), List.of(BUCKET));
        s3.start();
        client = MinioClient.builder().endpoint(s3.endpoint()).region(EmbeddedS3.REGION).credentials(s3.accessKey(), s3.secretKey())
                .build();
        put("cc/shard-0.tar", new Tars.Builder().sample("a", "a").add("cat.jpg", CAT).add("cat.txt", "a cat").bytes());
        put("cc/shard-1.tar", new Tars.Builder().sample("b", "b").sample("a", "again").bytes());
        byte[] third = new Tars.Builder().sample("c", "c").sample("d", "d").bytes();
        put("cc/shard-2.tar", Arrays.copyOf(third, third.length - 2048)); // cut off: d's caption and the end marker
        put("cc/shard-0.idx", new byte[] {'{', '}'});
        put("cc/more/shard-3.tar", new Tars.Builder().sample("e", "e").bytes());
    }

    private static void put(String key, byte[] data) throws Exception {
        client.putObject(PutObjectArgs.builder().bucket(BUCKET).object(key).stream(new ByteArrayInputStream(data), data.length, -1)
                .build());
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        s3.close();
    }

    private static List<String> names(String location) {
        return CorpusSource.withS3(client).shards(location).stream().map(CorpusShard::name).toList();
    }

    @Test
    void aBracePatternOnS3NamesItsObjectsInOrder() {
        assertEquals(List.of("s3://corpora/cc/shard-2.tar", "s3://corpora/cc/shard-0.tar"), names("s3://corpora/cc/shard-{2,0}.tar"));
        assertEquals(List.of("s3://corpora/cc/shard-1.tar"), names("s3://corpora/cc/shard-1.tar"));
    }

    @Test
    void aPrefixIsEveryTarUnderIt() {
        List<String> all = List.of("s3://corpora/cc/more/shard-3.tar", "s3://corpora/cc/shard-0.tar", "s3://corpora/cc/shard-1.tar",
                "s3://corpora/cc/shard-2.tar");
        assertEquals(all, names("s3://corpora/cc/"));
        assertEquals(all, names("s3://corpora/cc"), "no object cc: the prefix cc/");
        assertEquals(all, names("s3://corpora/"));
    }

    @Test
    void anS3LocationThatNamesNothingIsRefusedSayingSo() {
        String[][] cases = {
            {"s3://corpora/cc/shard-{0..4}.tar", "shard pattern s3://corpora/cc/shard-{0..4}.tar: 2 of 5 shards do not exist: "
                    + "s3://corpora/cc/shard-3.tar, s3://corpora/cc/shard-4.tar"},
            {"s3://corpora/dd/shard-{0..4}.tar", "shard pattern s3://corpora/dd/shard-{0..4}.tar matches nothing (5 names, none "
                    + "exists; the first is s3://corpora/dd/shard-0.tar)"},
            {"s3://corpora/dd/", "no .tar objects under s3://corpora/dd/"},
            {"s3://corpora/cc/shard-9.tar", "no object s3://corpora/cc/shard-9.tar, and no .tar objects under "
                    + "s3://corpora/cc/shard-9.tar/"},
            {"s3://no-such-bucket/cc/", "no bucket no-such-bucket at this S3 endpoint"},
            {"s3://", "s3:// needs a bucket name (no pattern): s3://bucket/prefix/..."},
            {"s3://{a,b}/x.tar", "s3://{a,b}/x.tar needs a bucket name (no pattern): s3://bucket/prefix/..."},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CorpusSource.withS3(client).shards(c[0]),
                    c[0]);
            assertEquals(c[1], e.getMessage());
        }
    }

    @Test
    void aCorpusOnS3IsReadLikeALocalOneAndAnImageComesBackByARangedGet() throws Exception {
        List<CorpusShard> shards = CorpusSource.withS3(client).shards("s3://corpora/cc/shard-{0..2}.tar");
        List<CorpusSample> samples = new ArrayList<>();
        CorpusSummary summary = new CorpusReader(CorpusLimits.DEFAULTS).read(shards, samples::add);
        assertEquals(List.of("a", "cat", "b", "c"), samples.stream().map(CorpusSample::key).toList());
        assertEquals(Map.of(SkipReason.DUPLICATE_KEY, 1L, SkipReason.TRUNCATED_TAR, 1L), summary.skipped());
        assertEquals("s3://corpora/cc/shard-2.tar", summary.shardsCut().get(0).shard());

        CorpusSample cat = samples.get(1);
        ShardIndex.Entry entry = ShardIndex.Entry.of(cat);
        assertArrayEquals(CAT, shards.get(0).read(entry.offset(), entry.length()));
        assertArrayEquals(CAT, cat.image().bytes());
    }

    @Test
    void theEnvironmentNamesTheEndpointAndCredentialsAsTheAwsCliReadsThem() throws Exception {
        Map<String, String> env = Map.of("AWS_ENDPOINT_URL", s3.endpoint(), "AWS_REGION", EmbeddedS3.REGION, "AWS_ACCESS_KEY_ID",
                s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
        CorpusSource source = CorpusSource.forEnvironment(env);
        try {
            assertEquals(List.of("s3://corpora/cc/shard-0.tar", "s3://corpora/cc/shard-1.tar"),
                    source.shards("s3://corpora/cc/shard-{0..1}.tar").stream().map(CorpusShard::name).toList());
        } finally {
            source.close();
        }
        CorpusSource wrongKey = CorpusSource.forEnvironment(Map.of("AWS_ENDPOINT_URL_S3", s3.endpoint(), "AWS_ACCESS_KEY_ID", "nobody",
                "AWS_SECRET_ACCESS_KEY", "wrong"));
        try {
            Exception e = assertThrows(RuntimeException.class, () -> wrongKey.shards("s3://corpora/cc/"));
            assertTrue(e.getMessage().contains("s3://corpora/cc/"), e.getMessage());
        } finally {
            wrongKey.close();
        }
        assertEquals("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both or neither",
                assertThrows(IllegalArgumentException.class, () -> CorpusSource.forEnvironment(Map.of("AWS_ACCESS_KEY_ID", "k")))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CorpusSource.forEnvironment(Map.of("AWS_ENDPOINT_URL",
                "not a url"))).getMessage().contains("the S3 endpoint not a url"));
    }
}
