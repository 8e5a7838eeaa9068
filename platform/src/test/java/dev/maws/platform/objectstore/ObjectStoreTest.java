package dev.maws.platform.objectstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.maws.devstack.DevStack;
import dev.maws.platform.checkpoint.S3CheckpointFiles;

class ObjectStoreTest {
    @TempDir
    static Path dir;
    static DevStack stack;
    static ObjectStore store;

    @BeforeAll
    static void start() {
        stack = new DevStack(dir).start();
        store = ObjectStore.of(stack.serviceConfig());
    }

    @AfterAll
    static void stop() {
        store.close();
        stack.close();
    }

    @Test
    void putGetListDelete() {
        byte[] data = "{\"step\": 1}".getBytes(StandardCharsets.UTF_8);
        store.put("checkpoints/job-a/step-1/manifest.json", data, "application/json");
        store.put("checkpoints/job-a/step-2/manifest.json", data, "application/json");
        assertArrayEquals(data, store.get("checkpoints/job-a/step-1/manifest.json"));
        assertTrue(store.exists("checkpoints/job-a/step-2/manifest.json"));
        assertEquals(List.of("checkpoints/job-a/step-1/manifest.json", "checkpoints/job-a/step-2/manifest.json"),
                store.list("checkpoints/job-a/"));
        store.delete("checkpoints/job-a/step-1/manifest.json");
        assertFalse(store.exists("checkpoints/job-a/step-1/manifest.json"));
        assertEquals(Optional.empty(), store.find("checkpoints/job-a/step-1/manifest.json"));
        ObjectStore.ObjectStoreException missing = assertThrows(ObjectStore.ObjectStoreException.class,
                () -> store.get("checkpoints/job-a/step-1/manifest.json"));
        assertTrue(missing.getMessage().contains("s3://maws/checkpoints/job-a/step-1/manifest.json"), missing.getMessage());
        assertTrue(store.bucketExists());
    }

    @Test
    void aBoundedReadStopsAtItsLimit() {
        byte[] data = new byte[100_000];
        new java.util.Random(7).nextBytes(data);
        store.put("images/bounded/big.bin", data, "application/octet-stream");
        assertArrayEquals(java.util.Arrays.copyOf(data, 1001), store.findUpTo("images/bounded/big.bin", 1001).orElseThrow());
        assertArrayEquals(data, store.findUpTo("images/bounded/big.bin", 100_001).orElseThrow(), "smaller than the limit: whole");
        assertEquals(Optional.empty(), store.findUpTo("images/bounded/none.bin", 10));
        assertThrows(IllegalArgumentException.class, () -> store.findUpTo("images/bounded/big.bin", -1));
    }

    @Test
    void aRangedGetReadsOnlyTheBytesAskedFor() {
        byte[] data = new byte[100_000];
        new java.util.Random(11).nextBytes(data);
        store.put("shards/ranged/shard-0.tar", data, "application/x-tar");
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 51_200, 51_200 + 4_321),
                store.getRange("shards/ranged/shard-0.tar", 51_200, 4_321));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 99_990, 100_000), store.getRange("shards/ranged/shard-0.tar", 99_990, 10),
                "the last bytes");
        assertEquals(0, store.getRange("shards/ranged/shard-0.tar", 7, 0).length);
        ObjectStore.ObjectStoreException past = assertThrows(ObjectStore.ObjectStoreException.class,
                () -> store.getRange("shards/ranged/shard-0.tar", 99_990, 11));
        assertTrue(past.getMessage().contains("ends before byte 100001"), past.getMessage());
        ObjectStore.ObjectStoreException missing = assertThrows(ObjectStore.ObjectStoreException.class,
                () -> store.getRange("shards/ranged/none.tar", 0, 10));
        assertTrue(missing.getMessage().startsWith("no object s3://maws/shards/ranged/none.tar"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.getRange("shards/ranged/shard-0.tar", -1, 10));
    }

    @Test
    void refusesKeysThatCouldEscapeAPrefix() {
        for (String bad : new String[] {"", "/etc/passwd", "checkpoints/../jobs/x.json", "a//b", "./a", "a b", "a\\b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.find(bad), bad);
            assertTrue(e.getMessage().startsWith("object key"), e.getMessage());
        }
        assertEquals("checkpoints/job-1/latest", ObjectStore.checkKey("checkpoints/job-1/latest"));
    }

    @Test
    void readsObjectReferencesOfThisBucketOnly() {
        String bucket = store.bucket();
        assertEquals("images/a/1.png", store.keyOf("images/a/1.png"));
        assertEquals("images/a/1.png", store.keyOf("s3://" + bucket + "/images/a/1.png"));
        for (String other : new String[] {"s3://other/images/a.png", "s3://" + bucket, "s3://" + bucket + "x/a.png"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.keyOf(other), other);
            assertTrue(e.getMessage().endsWith("is not in the platform bucket " + bucket), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.keyOf("s3://" + bucket + "/images/../jobs/x.json"));
        assertTrue(e.getMessage().contains("'..'"), e.getMessage());
    }

    @Test
    void aListingThatMeetsAServerErrorIsRetriedAndOneThatKeepsMeetingItFailsClearly() throws Exception {
        // S3Proxy answers a listing with a 500 while a file of the listed prefix has no metadata yet, as
        // when the listing meets an object being written; a file planted in its store without
        // metadata gives the same answer for as long as it is there
        store.put("half-written/a", new byte[] {1}, "application/octet-stream");
        Path planted = dir.resolve("s3").resolve(store.bucket()).resolve("half-written").resolve("b");
        Files.write(planted, new byte[] {2});
        List<Long> pauses = new ArrayList<>();
        try (ObjectStore retrying = pausingWith(millis -> {
            pauses.add(millis);
            try {
                Files.delete(planted); // the write "completes" before the retry
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })) {
            assertEquals(List.of("half-written/a"), retrying.list("half-written/"));
        }
        assertEquals(List.of(50L), pauses, "one failed attempt, one retry after 50 ms");

        Files.write(planted, new byte[] {2});
        pauses.clear();
        try (ObjectStore retrying = pausingWith(pauses::add)) {
            ObjectStore.ObjectStoreException e = assertThrows(ObjectStore.ObjectStoreException.class,
                    () -> retrying.list("half-written/"));
            assertEquals("cannot list s3://maws/half-written/", e.getMessage());
            assertTrue(e.getCause().getMessage().contains("500"), e.getCause().getMessage());
        } finally {
            Files.delete(planted);
        }
        assertEquals(List.of(50L, 100L), pauses, "three attempts in all");
    }

    /** A client of the devstack's S3 whose list retries pause through {@code pause}. */
    private ObjectStore pausingWith(ObjectStore.RetryPause pause) {
        return client(stack.serviceConfig().get("maws.s3.bucket"), pause);
    }

    /** A client of the devstack's S3 for {@code bucket}. */
    private ObjectStore client(String bucket, ObjectStore.RetryPause pause) {
        var c = stack.serviceConfig();
        return new ObjectStore(c.get("maws.s3.endpoint"), c.get("maws.s3.region"), c.get("maws.s3.access-key"),
                c.get("maws.s3.secret-key"), bucket, pause);
    }

    @Test
    void aCheckpointFileIsStreamedInPartsAndAppearsWholeOnlyWhenClosed() throws Exception {
        // 40 MiB: three parts of S3CheckpointFiles.PART_BYTES, a multipart upload
        byte[] data = new byte[40 << 20];
        new java.util.SplittableRandom(3).nextBytes(data);
        S3CheckpointFiles files = new S3CheckpointFiles(store, "stream-job", 7);
        try (java.io.OutputStream out = files.create("optimizer.bin")) {
            out.write(data, 0, 20 << 20);
            assertFalse(files.exists("optimizer.bin"), "a part is uploaded, the object does not exist yet");
            out.write(data, 20 << 20, data.length - (20 << 20));
        }
        assertTrue(files.exists("optimizer.bin"));
        try (java.io.InputStream in = files.open("optimizer.bin")) {
            assertArrayEquals(data, in.readAllBytes());
        }
        // small files go up in one PUT
        try (java.io.OutputStream out = files.create("manifest.json")) {
            out.write("{}".getBytes(StandardCharsets.UTF_8));
        }
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), store.get("checkpoints/stream-job/step-7/manifest.json"));
    }

    @Test
    void anAbortedCheckpointFileNeverAppearsAndItsUploadEnds() throws Exception {
        S3CheckpointFiles files = new S3CheckpointFiles(store, "abort-job", 9);
        byte[] chunk = new byte[1 << 20];
        // 20 MiB: one part uploaded, a multipart upload under way, then the writer fails
        dev.maws.model.checkpoint.CheckpointFiles.Output big = files.create("optimizer.bin");
        for (int i = 0; i < 20; i++) {
            big.write(chunk);
        }
        big.abort();
        big.close(); // nothing after an abort
        assertFalse(files.exists("optimizer.bin"));
        // a few bytes, nothing sent yet: half a manifest must not become one
        dev.maws.model.checkpoint.CheckpointFiles.Output small = files.create("manifest.json");
        small.write("{\"step\": ".getBytes(StandardCharsets.UTF_8));
        small.abort();
        assertFalse(files.exists("manifest.json"));
        // abort waits for the S3 client to give the upload up: no thread is left waiting for bytes
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().equals("maws-checkpoint-upload")), "upload threads ended");
    }

    @Test
    void aFailedUploadIsTheWritersError() throws Exception {
        // a real S3 refusal: the bucket does not exist
        try (ObjectStore nowhere = client("no-such-bucket", Thread::sleep)) {
            S3CheckpointFiles files = new S3CheckpointFiles(nowhere, "stream-job", 8);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> {
                try (java.io.OutputStream out = files.create("model.params")) {
                    byte[] chunk = new byte[1 << 20];
                    for (int i = 0; i < 40; i++) {
                        out.write(chunk);
                    }
                }
            });
            assertTrue(e.getMessage().contains("cannot write s3://no-such-bucket/checkpoints/stream-job/step-8/model.params"),
                    e.getMessage());
        }
    }
}
