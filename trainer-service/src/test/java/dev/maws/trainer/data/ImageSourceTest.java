package dev.maws.trainer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.maws.devstack.DevStack;
import dev.maws.platform.corpus.ShardMember;
import dev.maws.platform.corpus.ShardWriter;
import dev.maws.platform.objectstore.ObjectStore;

/** Images read from the devstack's S3: whole objects, and members of a stored shard through its index. */
class ImageSourceTest {
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

    /** A JPEG-looking member (the source does not decode) of {@code size} bytes: a JPEG's first and last bytes. */
    private static byte[] jpeg(int size, int seed) {
        byte[] b = new byte[size];
        new java.util.Random(seed).nextBytes(b);
        b[0] = (byte) 0xFF;
        b[1] = (byte) 0xD8;
        b[2] = (byte) 0xFF;
        b[size - 2] = (byte) 0xFF;
        b[size - 1] = (byte) 0xD9;
        return b;
    }

    /** Stores a shard of the given images (keys k0, k1, ...) with its index; returns the member references. */
    private static List<String> storeShard(String dataset, String shard, List<byte[]> images) throws IOException {
        List<ShardWriter.Sample> samples = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            samples.add(new ShardWriter.Sample("k" + i, "jpg", images.get(i), "caption " + i));
        }
        String shardKey = ShardWriter.store(store, dataset, shard, samples);
        List<String> uris = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            uris.add(new ShardMember(shardKey, "k" + i).uri());
        }
        return uris;
    }

    @Test
    void aShardMemberIsReadThroughItsShardsIndex() throws Exception {
        List<byte[]> images = List.of(jpeg(3_000, 1), jpeg(70_000, 2), jpeg(513, 3));
        List<String> uris = storeShard("web", "shard-00000", images);
        ImageSource source = new ImageSource(store, 1 << 20, 1 << 20);
        for (int i = images.size() - 1; i >= 0; i--) {
            assertArrayEquals(images.get(i), source.fetch(uris.get(i)), uris.get(i));
        }
        assertEquals("shards/web/shard-00000.tar#k1", uris.get(1));
    }

    @Test
    void aMissingMemberIndexOrOversizedImageIsAnIoExceptionSayingWhich() throws Exception {
        List<String> uris = storeShard("web", "shard-00001", List.of(jpeg(2_000, 4)));
        ImageSource small = new ImageSource(store, 1_000, 1 << 20);
        IOException tooLarge = assertThrows(IOException.class, () -> small.fetch(uris.get(0)));
        assertTrue(tooLarge.getMessage().contains("larger than maws.trainer.data.max-image-bytes=1000"), tooLarge.getMessage());
        ImageSource source = new ImageSource(store, 1 << 20, 1 << 20);
        IOException noKey = assertThrows(IOException.class, () -> source.fetch("shards/web/shard-00001.tar#nope"));
        assertTrue(noKey.getMessage().contains("no key nope in the index s3://maws/shards/web/shard-00001.index.jsonl"),
                noKey.getMessage());
        IOException noIndex = assertThrows(IOException.class, () -> source.fetch("shards/web/shard-99999.tar#k0"));
        assertTrue(noIndex.getMessage().contains("no shard index s3://maws/shards/web/shard-99999.index.jsonl"),
                noIndex.getMessage());
        IOException malformed = assertThrows(IOException.class, () -> source.fetch("shards/web/a/b.tar#k0"));
        assertTrue(malformed.getMessage().contains("shards/{dataset}/{shard}.tar"), malformed.getMessage());
    }
}
