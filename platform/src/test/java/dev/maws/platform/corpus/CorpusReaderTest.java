package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

class CorpusReaderTest {
    @TempDir
    Path dir;

    /** Three shards: the second repeats a key of the first and is cut short, the third has bad samples. */
    private List<CorpusShard> corpus() {
        byte[] second = new Tars.Builder().sample("s1-a", "x").sample("s0-b", "repeated").sample("s1-c", "lost").bytes();
        new Tars.Builder().sample("s0-a", "a").sample("s0-b", "b").write(dir.resolve("shard-0.tar"));
        Tars.Builder third = new Tars.Builder().sample("s2-a", "a").add("s2-mute.jpg", Tars.jpeg(8, 8, 0));
        for (int i = 0; i < 7; i++) {
            third.add("s2-lonely-" + i + ".txt", "no image " + i);
        }
        third.sample("s2-z", "z").write(dir.resolve("shard-2.tar"));
        byte[] cut = Arrays.copyOf(second, second.length - 2048);
        try {
            java.nio.file.Files.write(dir.resolve("shard-1.tar"), cut);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return CorpusSource.local().shards(dir.toString());
    }

    @Test
    void aDuplicateKeyInALaterShardIsCountedAndADamagedShardDoesNotStopTheNext() {
        List<CorpusSample> samples = new ArrayList<>();
        CorpusSummary summary = new CorpusReader(CorpusLimits.DEFAULTS).read(corpus(), samples::add);
        assertEquals(List.of("s0-a", "s0-b", "s1-a", "s2-a", "s2-z"), samples.stream().map(CorpusSample::key).toList());
        assertEquals("b", samples.get(1).caption(), "the first s0-b is kept");
        assertEquals(Map.of(SkipReason.DUPLICATE_KEY, 1L, SkipReason.TRUNCATED_TAR, 1L, SkipReason.IMAGE_WITHOUT_CAPTION, 1L,
                SkipReason.CAPTION_WITHOUT_IMAGE, 7L), summary.skipped());
        assertEquals(3, summary.shards());
        assertEquals(5, summary.samples());
        assertEquals(List.of(2L, 1L, 2L), summary.perShard().stream().map(ShardSummary::samples).toList());
        assertEquals(List.of(dir.resolve("shard-1.tar").toString()), summary.shardsCut().stream().map(ShardSummary::shard).toList());
        assertEquals(List.of("s0-b (shard-1.tar)"), summary.examples().get(SkipReason.DUPLICATE_KEY));
        assertEquals(5, summary.examples().get(SkipReason.CAPTION_WITHOUT_IMAGE).size(), "examples are bounded");
        assertNull(summary.perShard().get(2).failure());
    }

    @Test
    void theSameCorpusReadsTheSameWayTwice() {
        List<CorpusShard> shards = corpus();
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        CorpusReader reader = new CorpusReader(CorpusLimits.DEFAULTS);
        CorpusSummary a = reader.read(shards, s -> first.add(s.key() + " " + s.image().offset()));
        CorpusSummary b = reader.read(CorpusSource.local().shards(dir.toString()), s -> second.add(s.key() + " " + s.image().offset()));
        assertEquals(first, second);
        assertEquals(a, b);
    }

    @Test
    void aRestartSkipsTheKeysAlreadyTakenAndTogetherTheRunsTakeEveryGoodSample() {
        List<CorpusShard> shards = corpus();
        CorpusReader reader = new CorpusReader(CorpusLimits.DEFAULTS);
        Set<String> taken = new HashSet<>();
        reader.read(shards, s -> taken.add(s.key()));
        Set<String> firstRun = Set.of("s0-a", "s0-b", "s1-a"); // killed after these
        List<String> secondRun = new ArrayList<>();
        CorpusSummary summary = reader.read(shards, firstRun::contains, s -> secondRun.add(s.key()));
        assertEquals(List.of("s2-a", "s2-z"), secondRun);
        assertEquals(3L, summary.skipped().get(SkipReason.ALREADY_SEEN));
        assertEquals(1L, summary.skipped().get(SkipReason.DUPLICATE_KEY), "a duplicate stays a duplicate");
        Set<String> union = new HashSet<>(firstRun);
        union.addAll(secondRun);
        assertEquals(taken, union);
    }

    @Test
    void theSummaryIsPrintableAndRoundTripsThroughJson() throws Exception {
        CorpusSummary summary = new CorpusReader(CorpusLimits.DEFAULTS).read(corpus(), s -> { });
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(summary);
        assertEquals(summary, json.readValue(text, CorpusSummary.class));
        assertTrue(text.contains("\"skipped\":{\"DUPLICATE_KEY\":1,\"TRUNCATED_TAR\":1,\"CAPTION_WITHOUT_IMAGE\":7,"
                + "\"IMAGE_WITHOUT_CAPTION\":1}"), text);
        String report = summary.report();
        assertTrue(report.startsWith("corpus: 3 shards, 5 samples read, 10 skipped\n"), report);
        assertTrue(report.contains("  CAPTION_WITHOUT_IMAGE         7  e.g. s2-lonely-0 (shard-2.tar), s2-lonely-1 (shard-2.tar)"),
                report);
        assertTrue(report.contains("shards cut short (the rest of each is lost):\n  " + dir.resolve("shard-1.tar")
                + ": TRUNCATED_TAR at byte "), report);
    }

    @Test
    void everyKeyIsEitherReadOrSkippedOnce() {
        CorpusSummary summary = new CorpusReader(CorpusLimits.DEFAULTS).read(corpus(), s -> { });
        // shard-0: 2 keys; shard-1: s1-a, s0-b, and s1-c in progress at the cut; shard-2: 2 good, 1 mute, 7 lonely
        assertEquals(2 + 3 + 10, summary.samples() + summary.skippedTotal());
        for (ShardSummary s : summary.perShard()) {
            assertEquals(s.skipped().values().stream().mapToLong(Long::longValue).sum(), s.skippedTotal());
        }
    }
}
