package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusSourceTest {
    @TempDir
    Path dir;

    private void shard(String name) {
        new Tars.Builder().sample(name.replace('/', '-').replace(".tar", ""), "c").write(dir.resolve(name));
    }

    private List<String> names(String location) {
        return CorpusSource.local().shards(location).stream().map(s -> dir.relativize(Path.of(s.name())).toString()).toList();
    }

    @Test
    void oneTarIsOneShard() {
        shard("only.tar");
        assertEquals(List.of("only.tar"), names(dir.resolve("only.tar").toString()));
        assertTrue(CorpusSource.local().shards(dir.resolve("only.tar").toString()).get(0) instanceof CorpusShard.LocalFile);
    }

    @Test
    void aDirectoryIsEveryTarUnderItInPathOrder() throws Exception {
        for (String n : new String[] {"shard-10.tar", "shard-02.tar", "b/shard-00.tar", "a/shard-99.TAR", "shard-01.tar"}) {
            shard(n);
        }
        Files.writeString(dir.resolve("README.md"), "not a shard");
        Files.writeString(dir.resolve("shard-01.idx"), "not a shard");
        assertEquals(List.of("a/shard-99.TAR", "b/shard-00.tar", "shard-01.tar", "shard-02.tar", "shard-10.tar"),
                names(dir.toString()));
    }

    @Test
    void aBracePatternNamesShardsInItsOrder() {
        for (int i = 0; i < 12; i++) {
            shard(String.format("shard-%05d.tar", i));
        }
        shard("train/x.tar");
        shard("val/x.tar");
        assertEquals(List.of("shard-00009.tar", "shard-00010.tar", "shard-00011.tar"),
                names(dir + "/shard-{00009..00011}.tar"));
        assertEquals(List.of("val/x.tar", "train/x.tar"), names(dir + "/{val,train}/x.tar"));
    }

    @Test
    void aLocationThatNamesNothingIsRefusedSayingSo() throws Exception {
        shard("shard-00000.tar");
        shard("shard-00002.tar");
        Files.createDirectories(dir.resolve("empty"));
        String[][] cases = {
            {dir + "/nope.tar", "no such file or directory: " + dir + "/nope.tar"},
            {dir + "/empty", "directory " + dir + "/empty holds no .tar files"},
            {dir + "/x-{0..3}.tar", "shard pattern " + dir + "/x-{0..3}.tar matches nothing (4 names, none exists; the first is "
                    + dir + "/x-0.tar)"},
            {dir + "/shard-{00000..00003}.tar", "shard pattern " + dir + "/shard-{00000..00003}.tar: 2 of 4 shards do not exist: "
                    + dir + "/shard-00001.tar, " + dir + "/shard-00003.tar"},
            {dir + "/shard-{0..}.tar", "malformed shard pattern \"" + dir + "/shard-{0..}.tar\": range '{0..}' needs two non-negative integers"},
            {dir + "/corpus.tar.gz", dir + "/corpus.tar.gz is compressed: shards must be plain .tar files, so that an image can be "
                    + "read back by its byte offset"},
            {"  ", "the corpus location is empty"},
            {"s3://bucket/shards/", "s3://bucket/shards/ is on S3, and this corpus source was made without an S3 client"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CorpusSource.local().shards(c[0]), c[0]);
            assertEquals(c[1], e.getMessage());
        }
    }

    @Test
    void aRangeTooLargeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CorpusSource.local().shards(dir + "/s-{0..100000}.tar"));
        assertTrue(e.getMessage().endsWith("names 100001 shards, more than the limit of 100000"), e.getMessage());
    }

    @Test
    void aFileWhoseNameHasBracesIsTakenAsItIs() {
        shard("odd-{1}.tar");
        assertEquals(List.of("odd-{1}.tar"), names(dir + "/odd-{1}.tar"));
    }
}
