package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardIndexTest {
    @TempDir
    Path dir;

    private final byte[] cat = Tars.jpeg(40, 30, 1);
    private final byte[] dog = Tars.png(17, 9);

    private CorpusShard shard() {
        return CorpusShard.local(new Tars.Builder().add("00/cat.jpg", cat).add("00/cat.txt", "a \"cat\"\n on a mat")
                .add("broken.jpg", "nope").add("broken.txt", "skipped")
                .add("dog.png", dog).add("dog.json", "{\"caption\": \"a dog \u00e9\"}")
                .write(dir.resolve("shard-00000.tar")));
    }

    private ShardIndex index(CorpusShard shard) {
        ShardIndex.Builder builder = ShardIndex.builder("shard-00000.tar");
        new ShardReader(CorpusLimits.DEFAULTS).read(shard, new KeyLedger(), k -> false, builder);
        return builder.build();
    }

    @Test
    void anImageIsReadBackByItsOffsetAndLengthExactly() throws Exception {
        CorpusShard shard = shard();
        ShardIndex index = index(shard);
        assertEquals(List.of("00/cat", "dog"), index.entries().stream().map(ShardIndex.Entry::key).toList());
        byte[] tar = java.nio.file.Files.readAllBytes(Path.of(shard.name()));
        for (var expected : List.of(new Object[] {"00/cat", cat, ImageFormat.JPEG}, new Object[] {"dog", dog, ImageFormat.PNG})) {
            ShardIndex.Entry e = index.find((String) expected[0]).orElseThrow();
            byte[] image = (byte[]) expected[1];
            assertEquals(expected[2], e.format());
            assertArrayEquals(image, Arrays.copyOfRange(tar, (int) e.offset(), (int) (e.offset() + e.length())), "from the tar's bytes");
            assertArrayEquals(image, shard.read(e.offset(), e.length()), "through the shard's ranged read");
        }
        assertEquals(Optional.empty(), index.find("broken"));
        assertThrows(java.io.EOFException.class, () -> shard.read(tar.length - 10, 11));
    }

    @Test
    void theIndexFileRoundTripsAndReadsAsDocumented() throws Exception {
        ShardIndex index = index(shard());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        index.write(out);
        String text = out.toString(StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        assertEquals("{\"format\":\"maws-shard-index\",\"version\":1,\"shard\":\"shard-00000.tar\",\"entries\":2}", lines[0]);
        ShardIndex.Entry cat = index.entries().get(0);
        assertEquals("{\"key\":\"00/cat\",\"offset\":" + cat.offset() + ",\"length\":" + this.cat.length
                + ",\"format\":\"JPEG\",\"caption\":\"a \\\"cat\\\"\\n on a mat\"}", lines[1]);
        assertTrue(lines[2].endsWith(",\"format\":\"PNG\",\"caption\":\"a dog \u00e9\"}"), lines[2]);
        ShardIndex back = ShardIndex.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(index.shard(), back.shard());
        assertEquals(index.entries(), back.entries());
    }

    @Test
    void anIndexFileThatIsNotWholeOrNotThisVersionIsRefused() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        index(shard()).write(out);
        String good = out.toString(StandardCharsets.UTF_8);
        String header = good.substring(0, good.indexOf('\n') + 1);
        String[][] cases = {
            {"", "a shard index is empty"},
            {good.substring(0, good.lastIndexOf('\n', good.length() - 2) + 1), "index of shard-00000.tar says 2 entries and holds 1"},
            {good.replace("\"version\":1", "\"version\":2"), "not a maws-shard-index of version 1: format maws-shard-index, version 2"},
            {good.replace("\"format\":\"maws-shard-index\"", "\"format\":\"tar\""), "not a maws-shard-index of version 1: format tar, version 1"},
            {header + "{\"key\":\"a\",\"offset\":-1,\"length\":3,\"format\":\"PNG\",\"caption\":\"c\"}\n", "shard index line 2 is not a valid entry"},
            {header + "{\"key\":\"a\",\"offset\":1,\"length\":3,\"format\":\"GIF\",\"caption\":\"c\"}\n", "shard index line 2 is not a valid entry"},
            {header + "not json\n", "shard index line 2 is not a valid entry"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ShardIndex.read(new ByteArrayInputStream(c[0].getBytes(StandardCharsets.UTF_8))), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
    }

    @Test
    void anIndexHoldsEachKeyOnceInTarOrder() {
        ShardIndex.Entry a = new ShardIndex.Entry("a", 512, 10, ImageFormat.JPEG, "x");
        ShardIndex.Entry b = new ShardIndex.Entry("b", 2048, 10, ImageFormat.JPEG, "y");
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> new ShardIndex("s.tar", List.of(a, new ShardIndex.Entry("a", 4096, 1, ImageFormat.PNG, "z"))));
        assertEquals("index of s.tar has the key a twice", twice.getMessage());
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class, () -> new ShardIndex("s.tar", List.of(b, a)));
        assertEquals("index of s.tar: offsets must increase, 512 after 2048", order.getMessage());
    }
}
