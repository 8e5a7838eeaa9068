package dev.maws.platform.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;

/** Shards cut short or damaged: what came before is kept, the loss is counted once, nothing throws. */
class DamagedShardTest {
    private static final byte[] TAR = new Tars.Builder().sample("a", "first").sample("b", "second").sample("c", "third").bytes();
    /** Where c's first member (its PAX header) starts: a and b alone take the same bytes. */
    private static final int BEFORE_C = Tars.withoutEndMarker(new Tars.Builder().sample("a", "first").sample("b", "second")
            .bytes()).length;

    /** Where member {@code name}'s header starts in {@link #TAR} (a record whose name field is {@code name}, not its PAX header). */
    private static int headerOf(String name) {
        byte[] field = Arrays.copyOf(Tars.utf8(name), name.length() + 1); // NUL-terminated name field
        for (int at = 0; at < TAR.length; at += 512) {
            if (Arrays.equals(field, Arrays.copyOfRange(TAR, at, at + field.length))) {
                return at;
            }
        }
        throw new AssertionError("no header of " + name);
    }

    private static ShardReaderTest.Read readPrefix(int length) {
        return ShardReaderTest.read(Arrays.copyOf(TAR, length));
    }

    private static void assertCut(ShardReaderTest.Read r, SkipReason reason, List<String> kept, String inProgress) {
        assertEquals(kept, r.keys());
        assertEquals(Map.of(reason, 1L), r.summary().skipped());
        assertEquals(List.of(inProgress), r.summary().examples().get(reason));
        assertTrue(r.summary().failure().startsWith(reason + " at byte "), r.summary().failure());
    }

    @Test
    void aShardCutInsideAnImageKeepsTheSamplesBeforeIt() {
        int cImage = headerOf("c.jpg") + 512 + 100;
        ShardReaderTest.Read r = readPrefix(cImage);
        assertCut(r, SkipReason.TRUNCATED_TAR, List.of("a", "b"), "c");
        assertEquals("TRUNCATED_TAR at byte " + cImage + ": Truncated TAR archive", r.summary().failure());
    }

    @Test
    void aShardCutInsideAHeaderLosesTheSampleInProgress() {
        // b's members may not be all there: b is lost with the rest
        assertCut(readPrefix(headerOf("c.jpg") + 300), SkipReason.TRUNCATED_TAR, List.of("a"), "b");
        assertCut(readPrefix(headerOf("c.jpg")), SkipReason.TRUNCATED_TAR, List.of("a"), "b"); // after c.jpg's PAX header
        assertCut(readPrefix(BEFORE_C + 100), SkipReason.TRUNCATED_TAR, List.of("a"), "b"); // inside the PAX header
    }

    @Test
    void aShardCutBetweenMembersIsToldByItsMissingEndMarker() {
        ShardReaderTest.Read r = readPrefix(BEFORE_C);
        assertCut(r, SkipReason.TRUNCATED_TAR, List.of("a"), "b");
        assertTrue(r.summary().failure().endsWith("the shard ends without the end-of-archive marker"), r.summary().failure());
        ShardReaderTest.Read empty = ShardReaderTest.read(new byte[0]);
        assertCut(empty, SkipReason.TRUNCATED_TAR, List.of(), "(at byte 0)");
    }

    @Test
    void oneZeroRecordIsEnoughOfAnEndMarker() {
        int end = Tars.withoutEndMarker(TAR).length;
        for (int length : new int[] {end + 512, end + 700, TAR.length}) {
            ShardReaderTest.Read r = readPrefix(length);
            assertEquals(List.of("a", "b", "c"), r.keys(), length + " bytes");
            assertNull(r.summary().failure());
        }
    }

    @Test
    void aCorruptHeaderEndsTheShardAtThatHeader() {
        byte[] damaged = TAR.clone();
        damaged[headerOf("c.jpg")] = 'x'; // the name changes, the checksum no longer matches
        ShardReaderTest.Read r = ShardReaderTest.read(damaged);
        assertCut(r, SkipReason.CORRUPT_TAR, List.of("a"), "b");
        assertTrue(r.summary().failure().contains("header"), r.summary().failure());
    }

    @Test
    void aHeaderWithAnUnreadableSizeIsCorrupt() {
        byte[] damaged = TAR.clone();
        int header = headerOf("b.txt");
        damaged[header + 124] = 'z'; // the size field (octal), checksum put right so only the field is wrong
        Arrays.fill(damaged, header + 148, header + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += damaged[header + i] & 0xFF;
        }
        byte[] checksum = String.format("%06o\0 ", sum).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(checksum, 0, damaged, header + 148, 8);
        ShardReaderTest.Read r = ShardReaderTest.read(damaged);
        assertEquals(List.of("a"), r.keys());
        assertEquals(Map.of(SkipReason.CORRUPT_TAR, 1L), r.summary().skipped());
    }

    @Test
    void bytesThatAreNoTarAtAllAreCorrupt() {
        byte[] noise = new byte[8192];
        new java.util.Random(11).nextBytes(noise);
        ShardReaderTest.Read r = ShardReaderTest.read(noise);
        assertEquals(List.of(), r.keys());
        assertEquals(Map.of(SkipReason.CORRUPT_TAR, 1L), r.summary().skipped());
    }

    /** {@code size} bytes of no particular value, made as they are asked for; {@code halfway} runs when half are given. */
    private static final class Filler extends InputStream {
        private final long size;
        private final Runnable halfway;
        private long left;

        Filler(long size, Runnable halfway) {
            this.size = size;
            this.halfway = halfway;
            this.left = size;
        }

        @Override
        public int read() {
            return read(new byte[1], 0, 1) < 0 ? -1 : 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            if (left > size / 2 && left - n <= size / 2) {
                halfway.run();
            }
            left -= n;
            return n;
        }
    }

    private static long heapInUse() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void aCaptionOfHalfAGigabyteIsRefusedFromItsHeaderWithoutBeingHeld() {
        long size = 512L << 20;
        TarArchiveEntry huge = new TarArchiveEntry("huge.txt");
        huge.setSize(size);
        byte[] header = new byte[512];
        huge.writeEntryHeader(header);
        byte[] before = Tars.withoutEndMarker(new Tars.Builder().sample("a", "a").add("huge.jpg", Tars.jpeg(8, 8, 1)).bytes());
        byte[] after = new Tars.Builder().sample("z", "after the giant").bytes();
        long[] heldHalfway = new long[1];
        long baseline = heapInUse();
        List<InputStream> parts = List.of(new ByteArrayInputStream(before), new ByteArrayInputStream(header),
                new Filler(size, () -> heldHalfway[0] = heapInUse() - baseline), new ByteArrayInputStream(after));
        List<CorpusSample> samples = new ArrayList<>();
        ShardSummary s = new ShardReader(CorpusLimits.DEFAULTS).read(new SequenceInputStream(Collections.enumeration(parts)),
                "giant.tar", new KeyLedger(), k -> false, samples::add);
        assertTrue(heldHalfway[0] < (32 << 20), heldHalfway[0] + " more bytes held halfway through the caption");
        assertEquals(List.of("a", "z"), samples.stream().map(CorpusSample::key).toList());
        assertEquals(Map.of(SkipReason.CAPTION_TOO_LONG, 1L), s.skipped());
    }
}
