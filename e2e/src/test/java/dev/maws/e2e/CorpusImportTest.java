package dev.maws.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.maws.devstack.DevStack;
import dev.maws.platform.corpus.CorpusSource;
import dev.maws.platform.corpus.ShardIndex;
import dev.maws.platform.corpus.SkipReason;
import dev.maws.platform.objectstore.ObjectStore;

/** A user's WebDataset corpus into the devstack's real S3 as shards with their indexes. */
class CorpusImportTest {
    @TempDir
    static Path dir;
    static DevStack stack;
    static ObjectStore store;
    final Progress progress = new Progress(new PrintStream(new ByteArrayOutputStream()), false);

    @BeforeAll
    static void start() {
        stack = new DevStack(dir.resolve("devstack")).start();
        store = ObjectStore.of(stack.serviceConfig());
    }

    @AfterAll
    static void stop() {
        store.close();
        stack.close();
    }

    @Test
    void eachShardIsStoredAsOneObjectWithItsIndexAndEveryBrokenSampleIsCountedByReason() throws Exception {
        Path corpus = TestCorpus.small(dir.resolve("small"));
        CorpusImport.Imported imported = CorpusImport.run(store, CorpusSource.local(), corpus.toString(), "small", progress);

        assertEquals(3, imported.shards().size());
        assertEquals(0, imported.shardsAlreadyImported());
        for (String reason : TestCorpus.SMALL_SKIPS) {
            assertEquals(1L, imported.summary().skipped().get(SkipReason.valueOf(reason)), reason + ": " + imported.summary());
        }
        assertEquals(TestCorpus.SMALL_SKIPS.size(), imported.summary().skippedTotal(), imported.summary().report());
        long lastShard = imported.shards().get(2).index().entries().size();
        assertTrue(lastShard > 10 && lastShard < 100, "the cut shard keeps what came before the cut: " + lastShard);
        assertEquals(399 + lastShard, imported.samples(), "shard 0 less its cut JPEG, shard 1, what the cut shard kept");
        assertEquals(imported.samples(), imported.samplesRead());
        assertEquals(imported.samples(), imported.summary().samples());

        // the stored shard is the source's bytes, so the index's offsets hold in it: one ranged GET per image
        assertEquals(List.of("shards/small/shard-00000.index.jsonl", "shards/small/shard-00000.summary.json",
                "shards/small/shard-00000.tar"), store.list("shards/small/shard-00000"));
        byte[] source = Files.readAllBytes(corpus.resolve("shard-00002.tar"));
        assertArrayEquals(source, store.get("shards/small/shard-00002.tar"));
        ShardIndex index = ShardIndex.read(store.open("shards/small/shard-00001.index.jsonl"));
        ShardIndex.Entry e = index.find("000250").orElseThrow();
        byte[] tar = Files.readAllBytes(corpus.resolve("shard-00001.tar"));
        assertArrayEquals(java.util.Arrays.copyOfRange(tar, (int) e.offset(), (int) e.offset() + e.length()),
                store.getRange("shards/small/shard-00001.tar", e.offset(), e.length()));
        assertEquals("shards/small/shard-00001.tar", imported.shards().get(1).shardKey());
        assertFalse(index.find("000000").isPresent(), "the duplicate of shard 0's key is not in shard 1");
    }

    @Test
    void aRunStartedAgainSkipsTheShardsWithAnIndexAndStoresTheRestOnce() throws Exception {
        Path corpus = TestCorpus.small(dir.resolve("restart"));
        CorpusImport.Imported first = CorpusImport.run(store, CorpusSource.local(), corpus.toString(), "restart", progress);
        // killed while shard 1 was stored: its tar may be there, its index is not
        store.delete("shards/restart/shard-00001.index.jsonl");
        store.delete("shards/restart/shard-00002.index.jsonl");
        store.delete("shards/restart/shard-00002.tar");

        CorpusImport.Imported again = CorpusImport.run(store, CorpusSource.local(), corpus.toString(), "restart", progress);
        assertEquals(1, again.shardsAlreadyImported());
        assertEquals(first.samples(), again.samples());
        assertEquals(first.samples() - first.shards().get(0).index().entries().size(), again.samplesRead(), "shard 0 not read");
        assertEquals(first.summary().skipped(), again.summary().skipped(), "the duplicate of shard 0's key still counts");
        assertEquals(9, store.list("shards/restart/").size(), "a tar, summary and index per shard, nothing twice");
        for (int s = 0; s < 3; s++) {
            assertEquals(first.shards().get(s).index().entries(), again.shards().get(s).index().entries());
        }
        CorpusImport.Imported third = CorpusImport.run(store, CorpusSource.local(), corpus.toString(), "restart", progress);
        assertEquals(3, third.shardsAlreadyImported());
        assertEquals(0, third.samplesRead());
    }

    @Test
    void aShardLargerThanOnePartIsAMultipartUploadOfTheSameBytes() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("large"));
        Random random = new Random(3);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(corpus.resolve("big.tar")))) {
            for (int i = 0; i < 20; i++) {
                byte[] image = new byte[1 << 20];
                random.nextBytes(image);
                image[0] = (byte) 0xFF;
                image[1] = (byte) 0xD8;
                image[2] = (byte) 0xFF;
                image[image.length - 2] = (byte) 0xFF; // ends as a whole JPEG does
                image[image.length - 1] = (byte) 0xD9;
                TestCorpus.put(tar, "k" + i + ".jpg", image);
                TestCorpus.put(tar, "k" + i + ".txt", ("#dog " + i).getBytes());
            }
        }
        assertTrue(Files.size(corpus.resolve("big.tar")) > CorpusImport.PART_BYTES);
        CorpusImport.Imported imported = CorpusImport.run(store, CorpusSource.local(), corpus.resolve("big.tar").toString(),
                "large", progress);
        assertEquals(20, imported.samples());
        assertArrayEquals(Files.readAllBytes(corpus.resolve("big.tar")), store.get("shards/large/big.tar"));
    }

    @Test
    void aDatasetIsNamedByItsDirectoryAndShardsByTheirFileNames() {
        assertEquals("cc3m", CorpusImport.datasetName("/data/CC3M/"));
        assertEquals("cc3m", CorpusImport.datasetName("/data/cc3m/shard-{00000..00009}.tar"));
        assertEquals("cc3m", CorpusImport.datasetName("s3://bucket/cc3m/shard-00001.tar"));
        assertEquals("my_corpus", CorpusImport.datasetName("/data/my corpus"));
        assertEquals("part_1_", CorpusImport.storedName(dev.maws.platform.corpus.CorpusShard.local(Path.of("/x/part 1+.tar"))));
    }

    @Test
    void twoShardsWithOneStoredNameAreRefused() throws Exception {
        Path corpus = TestCorpus.small(dir.resolve("twice/a"));
        Files.createDirectories(dir.resolve("twice/b"));
        Files.copy(corpus.resolve("shard-00000.tar"), dir.resolve("twice/b/shard-00000.tar"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CorpusImport.run(store, CorpusSource.local(), dir.resolve("twice").toString(), "twice", progress));
        assertTrue(e.getMessage().contains("would both be stored as shard-00000.tar"), e.getMessage());
    }
}
